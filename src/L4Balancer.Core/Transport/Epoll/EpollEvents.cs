namespace L4Balancer.Core.Transport.Epoll;

/// <summary><c>epoll_event.events</c> bits (sys/epoll.h).</summary>
[Flags]
internal enum EpollEvents : uint
{
    None = 0,
    In = 0x001,
    Out = 0x004,
    Error = 0x008,
    Hangup = 0x010,
    ReadHangup = 0x2000,
    Exclusive = 1u << 28,
    EdgeTriggered = 1u << 31,
}
