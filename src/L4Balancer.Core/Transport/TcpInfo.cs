namespace L4Balancer.Core.Transport;

/// <summary>
/// <c>getsockopt(IPPROTO_TCP, TCP_INFO)</c>: <c>tcpi_state</c> is the struct's first byte. Both transports
/// read it to tell a reset from a FIN after a read of 0 bytes (a reset socket is in TCP_CLOSE).
/// </summary>
internal static class TcpInfo
{
    public const int Level = 6; // IPPROTO_TCP
    public const int Option = 11; // TCP_INFO
    public const byte StateClose = 7; // TCP_CLOSE, linux/tcp_states.h
}
