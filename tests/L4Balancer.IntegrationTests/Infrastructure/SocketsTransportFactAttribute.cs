using L4Balancer.Core.Config;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact about something only the sockets transport has yet: skipped when the suite runs on epoll, with the reason.</summary>
public sealed class SocketsTransportFactAttribute : FactAttribute
{
    public SocketsTransportFactAttribute(string reason)
    {
        if (TestTransport.Forced == TransportKind.Epoll)
        {
            Skip = $"not on the epoll transport: {reason}";
        }
    }
}
