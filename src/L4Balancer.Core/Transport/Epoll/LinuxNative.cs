using System.Runtime.InteropServices;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// The system calls of the epoll transport, as source-generated P/Invoke: every signature is blittable
/// (ints, pointers), so a call marshals nothing and allocates nothing; <c>SetLastError</c> keeps errno
/// for <see cref="Marshal.GetLastPInvokeError"/>. Constants are Linux's (asm-generic, x86-64 and arm64
/// agree on every one used here).
/// </summary>
internal static unsafe partial class LinuxNative
{
    private const string Libc = "libc";

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int EINPROGRESS = 115;
    public const int ECONNABORTED = 103;
    public const int ETIMEDOUT = 110;
    public const int ECONNREFUSED = 111;
    public const int EHOSTUNREACH = 113;
    public const int ENETUNREACH = 101;

    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int SockStream = 1;
    public const nuint FionRead = 0x541B;

    public const int OCloexec = 0x80000;
    public const int ONonblock = 0x800;
    public const int SockNonblock = ONonblock;
    public const int SockCloexec = OCloexec;

    public const int FDupFdCloexec = 1030;
    public const int FSetPipeSize = 1031;
    public const int FGetPipeSize = 1032;

    public const uint SpliceMove = 1;
    public const uint SpliceNonblock = 2;
    public const uint SpliceMore = 4;

    public const int MsgNoSignal = 0x4000;
    public const int MsgDontWait = 0x40;
    public const int MsgPeek = 0x2;

    public const int ShutWrite = 1;
    public const int ShutBoth = 2;

    public const int SolSocket = 1;
    public const int SoError = 4;
    public const int SoLinger = 13;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>A new descriptor for the same socket, close-on-exec (<c>F_DUPFD_CLOEXEC</c>), or -1.</summary>
    public static int DupCloexec(int fd) => Fcntl(fd, FDupFdCloexec, 0);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint count, int flags);

    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint count, int flags);

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Libc, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* length);

    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int length);

    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Libc, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(int fdIn, long* offsetIn, int fdOut, long* offsetOut, nint length, uint flags);

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport(Libc, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, int* value);

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epollFd, int operation, int fd, byte* ev);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    /// <summary>The name .NET's <c>SocketError</c> gives an errno, for log lines that read the same on both transports.</summary>
    public static string ErrorName(int errno) => errno switch
    {
        ECONNREFUSED => "ConnectionRefused",
        ETIMEDOUT => "TimedOut",
        EHOSTUNREACH => "HostUnreachable",
        ENETUNREACH => "NetworkUnreachable",
        ECONNRESET => "ConnectionReset",
        ECONNABORTED => "ConnectionAborted",
        EPIPE => "Shutdown",
        EMFILE or ENFILE => "TooManyOpenSockets",
        ENOBUFS => "NoBufferSpaceAvailable",
        _ => $"errno {errno}",
    };

    /// <summary>errno of the last call made with <c>SetLastError</c> on this thread.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Sets the socket's <c>SO_ERROR</c>-style pending error aside and returns it (0: none).</summary>
    public static int PendingError(int fd)
    {
        int error = 0, length = sizeof(int);
        return GetSockOpt(fd, SolSocket, SoError, &error, &length) == 0 ? error : Errno;
    }

    /// <summary><c>SO_LINGER {on, 0}</c>: the next close sends RST instead of FIN.</summary>
    public static void SetLingerZero(int fd)
    {
        var linger = stackalloc int[2] { 1, 0 };
        _ = SetSockOpt(fd, SolSocket, SoLinger, linger, 2 * sizeof(int));
    }

    /// <summary>
    /// Closes a connected socket the way the relay ends a side: with <paramref name="reset"/> abortively
    /// (RST), else gracefully, shutting both ways first unless our FIN went out already
    /// (<paramref name="finSent"/>: then the close alone ends it).
    /// </summary>
    public static void CloseSocket(int fd, bool reset, bool finSent)
    {
        if (reset)
        {
            SetLingerZero(fd);
        }
        else if (!finSent)
        {
            _ = Shutdown(fd, ShutBoth);
        }

        _ = Close(fd);
    }

    public static void SetNoDelay(int fd)
    {
        var on = 1;
        _ = SetSockOpt(fd, IpProtoTcp, TcpNoDelay, &on, sizeof(int));
    }
}
