using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// The four tenants of the SNI scenarios, each with one backend, and the sni listener in front of them:
/// acme (an exact name and <c>*.acme.example</c>), beta, special (an exact name inside acme's wildcard)
/// and deep (a longer wildcard inside acme's).
/// </summary>
internal sealed class SniTenantSet : IAsyncDisposable
{
    public static readonly IReadOnlyList<(string Name, string[] Sni)> Tenants =
    [
        ("acme", ["llm.acme.example", "*.acme.example"]),
        ("beta", ["api.beta.example"]),
        ("special", ["x.acme.example"]),
        ("deep", ["*.deep.acme.example"]),
    ];

    private SniTenantSet(IReadOnlyDictionary<string, TestBackend> backends) => Backends = backends;

    public IReadOnlyDictionary<string, TestBackend> Backends { get; }

    /// <summary>Connections all backends together have accepted.</summary>
    public int TotalAccepted => Backends.Values.Sum(b => b.Total);

    /// <summary>Each tenant's backend is a <see cref="TlsBackend"/> with that tenant's certificate.</summary>
    public static SniTenantSet StartTls() => Start(TlsBackend.Start);

    public static SniTenantSet Start(Func<string, TestBackend> backendFor) =>
        new(Tenants.ToDictionary(t => t.Name, t => backendFor(t.Name), StringComparer.Ordinal));

    /// <summary>One sni listener (named <see cref="TestConfigs.ListenerName"/>) on 127.0.0.1:0.</summary>
    public BalancerConfig Config(string? fallback = null, Func<GlobalConfig, GlobalConfig>? global = null) => new()
    {
        Global = global?.Invoke(new GlobalConfig()) ?? new GlobalConfig(),
        Listeners = [new ListenerConfig { Name = TestConfigs.ListenerName, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Sni, Tenant = fallback }],
        Tenants = [.. Tenants.Select(t => new TenantConfig { Name = t.Name, Sni = t.Sni, Backends = [TestConfigs.Backend(Backends[t.Name])] })],
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in Backends.Values)
        {
            await backend.DisposeAsync();
        }
    }
}
