using System.Runtime.InteropServices;

namespace L4Balancer.Core.Handover;

/// <summary>
/// The few system calls a socket handover needs that .NET does not offer: descriptors passed with
/// <c>SCM_RIGHTS</c> (sendmsg/recvmsg), <c>FD_CLOEXEC</c> cleared before a shared socket is closed, and
/// the parent pid. Layouts are LP64 Linux (x64 and arm64): msghdr {void* name; uint namelen; iovec* iov;
/// size_t iovlen; void* control; size_t controllen; int flags}, cmsghdr {size_t len; int level; int type}.
/// </summary>
internal static unsafe partial class HandoverNative
{
    /// <summary>The kernel's SCM_MAX_FD: at most this many descriptors in one message.</summary>
    public const int MaxDescriptorsPerMessage = 253;

    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCtrunc = 0x8;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int MsgNoSignal = 0x4000;
    private const int MsgDontWait = 0x40;
    private const int Eagain = 11;
    private const int FGetFd = 1;
    private const int FSetFd = 2;
    private const int FdCloexec = 1;
    private const int Eintr = 4;
    private const int CmsgHeaderSize = 16; // CMSG_LEN(0) on LP64

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>
    /// One non-blocking sendmsg of <paramref name="data"/> with <paramref name="fds"/> attached (pass them
    /// only with the first byte of a message). Returns the bytes sent, or -1 if the socket's buffer is full.
    /// </summary>
    public static int TrySend(int socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> fds)
    {
        if (fds.Length > MaxDescriptorsPerMessage)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), $"at most {MaxDescriptorsPerMessage} descriptors per message");
        }

        var controlLength = fds.Length == 0 ? 0 : ControlSpace(fds.Length);
        var control = stackalloc byte[Math.Max(controlLength, 8)];
        new Span<byte>(control, Math.Max(controlLength, 8)).Clear();
        if (fds.Length > 0)
        {
            var header = (CmsgHdr*)control;
            header->Length = (nuint)(CmsgHeaderSize + (fds.Length * sizeof(int)));
            header->Level = SolSocket;
            header->Type = ScmRights;
            fds.CopyTo(new Span<int>(control + CmsgHeaderSize, fds.Length));
        }

        fixed (byte* bytes = data)
        {
            while (true)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)data.Length };
                var message = new MsgHdr
                {
                    Iov = &iov,
                    IovLength = 1,
                    Control = controlLength > 0 ? control : null,
                    ControlLength = (nuint)controlLength,
                };
                var n = SendMsg(socket, &message, MsgNoSignal | MsgDontWait);
                if (n >= 0)
                {
                    return (int)n;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                {
                    continue;
                }

                if (errno == Eagain)
                {
                    return -1;
                }

                throw new IOException($"sendmsg failed: errno {errno}");
            }
        }
    }

    /// <summary>
    /// One non-blocking recvmsg into <paramref name="buffer"/>: the bytes received (0 at end of stream), or
    /// -1 if nothing is waiting. Descriptors that came with them are added to <paramref name="fds"/>, already
    /// close-on-exec (MSG_CMSG_CLOEXEC). Linux hands over at most one message's descriptors per call.
    /// </summary>
    public static int TryReceive(int socket, Span<byte> buffer, List<int> fds)
    {
        var controlLength = ControlSpace(MaxDescriptorsPerMessage);
        var control = stackalloc byte[controlLength];
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)buffer.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                var n = RecvMsg(socket, &message, MsgCmsgCloexec | MsgDontWait);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == Eintr)
                    {
                        continue;
                    }

                    if (errno == Eagain)
                    {
                        return -1;
                    }

                    throw new IOException($"recvmsg failed: errno {errno}");
                }

                CollectDescriptors(control, (int)message.ControlLength, fds);
                if ((message.Flags & MsgCtrunc) != 0)
                {
                    throw new IOException("recvmsg: descriptors were truncated (MSG_CTRUNC)");
                }

                return (int)n;
            }
        }
    }

    private static void CollectDescriptors(byte* control, int length, List<int> fds)
    {
        var offset = 0;
        while (offset + CmsgHeaderSize <= length)
        {
            var header = (CmsgHdr*)(control + offset);
            var cmsgLength = (int)header->Length;
            if (cmsgLength < CmsgHeaderSize || offset + cmsgLength > length)
            {
                break;
            }

            if (header->Level == SolSocket && header->Type == ScmRights)
            {
                var count = (cmsgLength - CmsgHeaderSize) / sizeof(int);
                fds.AddRange(new ReadOnlySpan<int>(control + offset + CmsgHeaderSize, count));
            }

            offset += Align(cmsgLength);
        }
    }

    /// <summary>
    /// Clears <c>FD_CLOEXEC</c>. .NET's Socket.Dispose, when an operation is still using the handle,
    /// "unblocks" it with connect(AF_UNSPEC), which on a listening socket stops the listen for every
    /// process that shares it; it skips that for a descriptor without FD_CLOEXEC, which it takes as shared
    /// (dotnet/runtime SafeSocketHandle.Unix.cs, TryUnblockSocket).
    /// </summary>
    public static void ClearCloseOnExec(int fd)
    {
        var flags = Fcntl(fd, FGetFd, 0);
        if (flags >= 0)
        {
            _ = Fcntl(fd, FSetFd, flags & ~FdCloexec);
        }
    }

    /// <summary>Sets <c>FD_CLOEXEC</c> on an inherited descriptor, so that processes this one starts do not inherit it too.</summary>
    public static void SetCloseOnExec(int fd)
    {
        var flags = Fcntl(fd, FGetFd, 0);
        if (flags >= 0)
        {
            _ = Fcntl(fd, FSetFd, flags | FdCloexec);
        }
    }

    public static bool IsCloseOnExec(int fd) => (Fcntl(fd, FGetFd, 0) & FdCloexec) != 0;

    public static int ParentPid() => GetPpid();

    public static uint UserId() => GetUid();

    public static int ControlSpace(int descriptors) => CmsgHeaderSize + Align(descriptors * sizeof(int));

    private static int Align(int length) => (length + 7) & ~7;

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int socket, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint RecvMsg(int socket, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetPpid();

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint GetUid();
}
