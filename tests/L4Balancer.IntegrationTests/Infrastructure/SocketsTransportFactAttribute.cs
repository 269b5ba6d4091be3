using L4Balancer.Core.Config;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact about something only the sockets transport has: skipped when the suite runs on epoll (the default on Linux), with the reason; .ci/run runs the suite again on sockets.</summary>
public sealed class SocketsTransportFactAttribute : FactAttribute
{
    public SocketsTransportFactAttribute(string reason)
    {
        if (TestTransport.Effective == TransportKind.Epoll)
        {
            Skip = $"not on the epoll transport: {reason}";
        }
    }
}
