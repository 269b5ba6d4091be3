using L4Balancer.Core.Config;
using L4Balancer.Core.Transport.Epoll;

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

    /// <summary>The transport in-process engines use: the forced one, or what <c>auto</c> picks on this machine.</summary>
    public static TransportKind Effective { get; } = Forced ?? (EpollTransport.IsSupported ? TransportKind.Epoll : TransportKind.Sockets);

    /// <summary>
    /// The <c>[global] transport</c> value for configs the real executable runs: the override cannot
    /// reach a child process's engine, so the same choice goes into its config file.
    /// </summary>
    public static string ConfigValue { get; } = Forced switch
    {
        TransportKind.Epoll => "epoll",
        TransportKind.Sockets => "sockets",
        _ => "auto",
    };
}
