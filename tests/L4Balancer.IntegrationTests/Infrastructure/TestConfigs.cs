using System.Net;
using L4Balancer.Core.Config;

namespace L4Balancer.IntegrationTests.Infrastructure;

internal static class TestConfigs
{
    public const string ListenerName = "main";
    public const string TenantName = "t1";

    public static BackendConfig Backend(IPEndPoint endPoint, int weight = 1, int maxConnections = 0) => new()
    {
        Address = endPoint.ToString(),
        EndPoint = endPoint,
        Weight = weight,
        MaxConnections = maxConnections,
    };

    public static BackendConfig Backend(TestBackend backend, int weight = 1, int maxConnections = 0) =>
        Backend(backend.EndPoint, weight, maxConnections);

    /// <summary>One port-routed listener on 127.0.0.1:0 in front of one tenant.</summary>
    public static BalancerConfig PortRouted(IEnumerable<BackendConfig> backends, Func<TenantConfig, TenantConfig>? tenant = null, Func<GlobalConfig, GlobalConfig>? global = null)
    {
        var t = new TenantConfig { Name = TenantName, Backends = backends.ToArray() };
        return new BalancerConfig
        {
            Global = global?.Invoke(new GlobalConfig()) ?? new GlobalConfig(),
            Listeners = [new ListenerConfig { Name = ListenerName, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Port, Tenant = TenantName }],
            Tenants = [tenant?.Invoke(t) ?? t],
        };
    }

    public static BalancerConfig PortRouted(params TestBackend[] backends) => PortRouted(backends.Select(b => Backend(b)));

    /// <summary>
    /// An address nothing listens on (127.0.0.1, not the IPv4-mapped form a dual-mode socket would
    /// report): bind a socket to get a free port, then close it. Also a free port to hand a process.
    /// </summary>
    public static IPEndPoint ClosedPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }
}
