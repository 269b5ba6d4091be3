namespace L4Balancer.EngineProbe;

/// <summary>liburing's io_uring_prep_* for the operations the relay uses, on a zeroed SQE.</summary>
internal static unsafe class Sqe
{
    public static void Prep(byte* sqe, byte opcode, int fd, ulong address, uint length, ulong offset, ulong userData)
    {
        sqe[Uring.SqeOpcode] = opcode;
        *(int*)(sqe + Uring.SqeFd) = fd;
        *(ulong*)(sqe + Uring.SqeOff) = offset;
        *(ulong*)(sqe + Uring.SqeAddr) = address;
        *(uint*)(sqe + Uring.SqeLen) = length;
        *(ulong*)(sqe + Uring.SqeUserData) = userData;
    }

    /// <summary>Multishot accept: one SQE, a CQE per accepted connection while IORING_CQE_F_MORE is set.</summary>
    public static void MultishotAccept(byte* sqe, int listener, int flags, ulong userData)
    {
        Prep(sqe, Uring.OpAccept, listener, 0, 0, 0, userData);
        *(uint*)(sqe + Uring.SqeOpFlags) = (uint)flags;
        *(ushort*)(sqe + Uring.SqeIoprio) |= Uring.AcceptMultishot;
    }

    public static void Connect(byte* sqe, int fd, byte* address, int length, ulong userData) =>
        Prep(sqe, Uring.OpConnect, fd, (ulong)address, 0, (ulong)length, userData);

    public static void Recv(byte* sqe, int fd, byte* buffer, int length, ulong userData) =>
        Prep(sqe, Uring.OpRecv, fd, (ulong)buffer, (uint)length, 0, userData);

    /// <summary>Multishot receive into buffers the kernel picks from provided-buffer group <paramref name="group"/>.</summary>
    public static void RecvMultishot(byte* sqe, int fd, ushort group, ulong userData)
    {
        Prep(sqe, Uring.OpRecv, fd, 0, 0, 0, userData);
        *(ushort*)(sqe + Uring.SqeIoprio) |= Uring.RecvMultishot;
        sqe[Uring.SqeFlags] |= Uring.SqeBufferSelect;
        *(ushort*)(sqe + Uring.SqeBufGroup) = group;
    }

    public static void Send(byte* sqe, int fd, byte* buffer, int length, ulong userData)
    {
        Prep(sqe, Uring.OpSend, fd, (ulong)buffer, (uint)length, 0, userData);
        *(uint*)(sqe + Uring.SqeOpFlags) = Native.MsgNoSignal;
    }

    public static void Close(byte* sqe, int fd, ulong userData) =>
        Prep(sqe, Uring.OpClose, fd, 0, 0, 0, userData);

    /// <summary>A read at the file's current position (offset -1), for the eventfd that wakes the loop.</summary>
    public static void ReadCurrent(byte* sqe, int fd, byte* buffer, int length, ulong userData) =>
        Prep(sqe, Uring.OpRead, fd, (ulong)buffer, (uint)length, ulong.MaxValue, userData);

    public static void SkipSuccess(byte* sqe) => sqe[Uring.SqeFlags] |= Uring.SqeCqeSkipSuccess;
}
