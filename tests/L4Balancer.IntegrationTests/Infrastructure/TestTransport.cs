using L4Balancer.Core.Config;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// The transport in-process engines run on: <c>L4B_TEST_TRANSPORT=epoll|sockets</c> overrides the
/// config's <c>transport</c>, so the same suite runs on each transport.
/// </summary>
internal static class TestTransport
{
    public static TransportKind? Forced { get; } = Environment.GetEnvironmentVariable("L4B_TEST_TRANSPORT") switch
    {
        "epoll" => TransportKind.Epoll,
        "sockets" => TransportKind.Sockets,
        _ => null,
    };
}
