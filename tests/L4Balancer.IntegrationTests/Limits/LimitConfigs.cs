using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

internal static class LimitConfigs
{
    public static string SniName(string tenant) => $"llm.{tenant}.example";

    /// <summary>A ClientHello for <paramref name="tenant"/>'s name (<see cref="SniName"/>).</summary>
    public static byte[] Hello(string tenant)
    {
        var builder = new L4Balancer.TestSupport.Tls.ClientHelloBuilder();
        builder.ServerNames[0] = SniName(tenant);
        return builder.Build();
    }

    /// <summary>One sni listener (<see cref="TestConfigs.ListenerName"/>) in front of tenants named after their backends' keys.</summary>
    public static BalancerConfig Sni(IReadOnlyDictionary<string, TestBackend> backends, Func<GlobalConfig, GlobalConfig>? global = null, Func<TenantConfig, TenantConfig>? tenant = null) => new()
    {
        Global = global?.Invoke(new GlobalConfig()) ?? new GlobalConfig(),
        Listeners = [new ListenerConfig { Name = TestConfigs.ListenerName, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Sni }],
        Tenants =
        [
            .. backends.Select(b =>
            {
                var t = new TenantConfig { Name = b.Key, Sni = [SniName(b.Key)], Backends = [TestConfigs.Backend(b.Value)] };
                return tenant?.Invoke(t) ?? t;
            }),
        ],
    };

    /// <summary>One port listener per tenant, each named after its tenant.</summary>
    public static BalancerConfig PortPerTenant(IReadOnlyDictionary<string, TestBackend> backends, Func<TenantConfig, TenantConfig>? tenant = null) => new()
    {
        Global = new GlobalConfig(),
        Listeners = [.. backends.Keys.Select(name => new ListenerConfig { Name = name, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Port, Tenant = name })],
        Tenants =
        [
            .. backends.Select(b =>
            {
                var t = new TenantConfig { Name = b.Key, Backends = [TestConfigs.Backend(b.Value)] };
                return tenant?.Invoke(t) ?? t;
            }),
        ],
    };
}
