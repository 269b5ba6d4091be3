namespace L4Balancer.EngineProbe;

/// <summary>
/// io_uring's ABI as liburing spells it (src/include/liburing/io_uring.h): syscall numbers, setup and enter
/// flags, opcodes, and the byte offsets of <c>struct io_uring_sqe</c> (64 bytes), <c>io_uring_cqe</c> (16) and
/// <c>io_uring_params</c> (120), written by offset rather than declared as structs.
/// </summary>
internal static class Uring
{
    // x86-64 and arm64 share these (the generic syscall table numbers io_uring from 425).
    public const long SysSetup = 425;
    public const long SysEnter = 426;
    public const long SysRegister = 427;

    public const uint SetupCqSize = 1u << 3;
    public const uint SetupSubmitAll = 1u << 7;
    public const uint SetupCoopTaskrun = 1u << 8;
    public const uint SetupSingleIssuer = 1u << 12;
    public const uint SetupDeferTaskrun = 1u << 13;

    public const uint FeatSingleMmap = 1u << 0;
    public const uint FeatNodrop = 1u << 1;
    public const uint FeatFastPoll = 1u << 5;

    public const uint EnterGetEvents = 1u << 0;

    public const byte OpRead = 22;
    public const byte OpAccept = 13;
    public const byte OpConnect = 16;
    public const byte OpClose = 19;
    public const byte OpSend = 26;
    public const byte OpRecv = 27;

    public const byte SqeBufferSelect = 1 << 5;
    public const byte SqeCqeSkipSuccess = 1 << 6;

    public const ushort AcceptMultishot = 1 << 0;
    public const ushort RecvMultishot = 1 << 1;

    public const uint CqeFBuffer = 1u << 0;
    public const uint CqeFMore = 1u << 1;
    public const int CqeBufferShift = 16;

    public const long OffSqRing = 0;
    public const long OffSqes = 0x10000000;

    public const uint RegisterPbufRing = 22;

    public const int SqeSize = 64;
    public const int CqeSize = 16;
    public const int ParamsSize = 120;

    // struct io_uring_sqe
    public const int SqeOpcode = 0;
    public const int SqeFlags = 1;
    public const int SqeIoprio = 2;
    public const int SqeFd = 4;
    public const int SqeOff = 8;
    public const int SqeAddr = 16;
    public const int SqeLen = 24;
    public const int SqeOpFlags = 28;
    public const int SqeUserData = 32;
    public const int SqeBufGroup = 40;

    // struct io_uring_params; sq_off at 40, cq_off at 80
    public const int ParamsSqEntries = 0;
    public const int ParamsCqEntries = 4;
    public const int ParamsFlags = 8;
    public const int ParamsFeatures = 20;
    public const int SqOffHead = 40;
    public const int SqOffTail = 44;
    public const int SqOffRingMask = 48;
    public const int SqOffRingEntries = 52;
    public const int SqOffFlags = 56;
    public const int SqOffArray = 64;
    public const int CqOffHead = 80;
    public const int CqOffTail = 84;
    public const int CqOffRingMask = 88;
    public const int CqOffRingEntries = 92;
    public const int CqOffOverflow = 96;
    public const int CqOffCqes = 100;
}
