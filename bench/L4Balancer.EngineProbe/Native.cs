using System.Runtime.InteropServices;

namespace L4Balancer.EngineProbe;

/// <summary>
/// The system calls both engines use, as blittable LibraryImport P/Invoke (no marshalling, no allocation).
/// Copied in part from src/L4Balancer.Core/Transport/Epoll/LinuxNative.cs: the probe must not depend on the
/// product's internals. Constants are Linux x86-64's (asm-generic; arm64 agrees on all but the syscall numbers).
/// </summary>
internal static unsafe partial class Native
{
    private const string Libc = "libc";

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EBUSY = 16;
    public const int EPIPE = 32;
    public const int ENOBUFS = 105;
    public const int EINPROGRESS = 115;
    public const int ECANCELED = 125;

    public const int AfInet = 2;
    public const int SockStream = 1;
    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int EfdNonblock = 0x800;
    public const int EfdCloexec = 0x80000;

    public const int MsgNoSignal = 0x4000;
    public const int ShutWrite = 1;
    public const int ShutBoth = 2;

    public const int SolSocket = 1;
    public const int SoReuseAddr = 2;
    public const int SoError = 4;
    public const int SoReusePort = 15;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;

    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapAnonymous = 0x20;
    public const int MapPopulate = 0x8000;

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nint count);

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

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, int length);

    [LibraryImport(Libc, EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport(Libc, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, int length);

    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, byte* address, int* length, int flags);

    [LibraryImport(Libc, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(int fd, byte* address, int* length);

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epollFd, int operation, int fd, byte* ev);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport(Libc, EntryPoint = "mmap", SetLastError = true)]
    public static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport(Libc, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(void* address, nuint length);

    /// <summary>
    /// glibc's variadic <c>syscall(2)</c>: it is assembly that moves six integer arguments into registers
    /// and ignores %al, so a fixed seven-argument signature is safe on x86-64 and arm64.
    /// </summary>
    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    public static int Errno => Marshal.GetLastPInvokeError();

    public static int PendingError(int fd)
    {
        int error = 0, length = sizeof(int);
        return GetSockOpt(fd, SolSocket, SoError, &error, &length) == 0 ? error : Errno;
    }

    public static void SetInt(int fd, int level, int name, int value) =>
        _ = SetSockOpt(fd, level, name, &value, sizeof(int));

    /// <summary>Writes <c>sockaddr_in</c> for 127.0.0.1-style IPv4 <paramref name="address"/> (host order bytes a.b.c.d) and port.</summary>
    public static void WriteSockaddrIn(byte* destination, ReadOnlySpan<byte> address, int port)
    {
        new Span<byte>(destination, 16).Clear();
        destination[0] = AfInet;
        destination[2] = (byte)(port >> 8);
        destination[3] = (byte)port;
        address.CopyTo(new Span<byte>(destination + 4, 4));
    }

    /// <summary>A listening TCP socket on <paramref name="address"/>:<paramref name="port"/> with SO_REUSEPORT (one per loop thread, the kernel spreads connections over them) and TCP_NODELAY (accepted sockets inherit it).</summary>
    public static int ListenReusePort(ReadOnlySpan<byte> address, int port, bool nonblocking, out int boundPort)
    {
        var fd = Socket(AfInet, SockStream | SockCloexec | (nonblocking ? SockNonblock : 0), 0);
        if (fd < 0)
        {
            throw new IOException($"socket: errno {Errno}");
        }

        SetInt(fd, SolSocket, SoReuseAddr, 1);
        SetInt(fd, SolSocket, SoReusePort, 1);
        SetInt(fd, IpProtoTcp, TcpNoDelay, 1);
        var sa = stackalloc byte[16];
        WriteSockaddrIn(sa, address, port);
        if (Bind(fd, sa, 16) != 0 || Listen(fd, 4096) != 0)
        {
            var errno = Errno;
            Close(fd);
            throw new IOException($"bind/listen on port {port}: errno {errno}");
        }

        var length = 16;
        GetSockName(fd, sa, &length);
        boundPort = (sa[2] << 8) | sa[3];
        return fd;
    }
}
