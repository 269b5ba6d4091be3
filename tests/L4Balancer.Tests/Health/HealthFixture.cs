using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Health;

/// <summary>A <see cref="HealthMonitor"/> on fake time with a scripted probe, and tenants to apply to it.</summary>
internal sealed class HealthFixture : IDisposable
{
    public FakeTimeProvider Time { get; } = new();

    public ScriptedProbe Probe { get; } = new();

    public HealthMonitor Monitor { get; }

    /// <summary>Without [tenant.health], a passively downed backend is retried after the table's default interval.</summary>
    public static TimeSpan PassiveRetry => HealthMonitor.PassiveDefaults.Interval;

    /// <summary>What the fake DNS answers, by host; a host not here does not resolve.</summary>
    public Dictionary<string, IPAddress> Dns { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Lookups the monitor made, by host.</summary>
    public List<string> Lookups { get; } = [];

    public HealthFixture() => Monitor = new HealthMonitor(NullLogger.Instance, Time, Probe, Lookup);

    private Task<IPAddress[]> Lookup(string host, CancellationToken cancellationToken)
    {
        lock (Lookups)
        {
            Lookups.Add(host);
            return Dns.TryGetValue(host, out var address)
                ? Task.FromResult(new[] { address })
                : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
        }
    }

    public static BackendState Backend(int port, TimeProvider? time = null) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Port = port }, time);

    /// <summary>A backend whose host name did not resolve at load (issue 17).</summary>
    public static BackendState Unresolved(string host, int port, TimeProvider? time = null) =>
        new("t", new BackendConfig { Address = $"{host}:{port}", EndPoint = null, Host = host, Port = port, ResolveError = "Name or service not known" }, time);

    public static TenantState Tenant(HealthConfig? health, params BackendState[] backends) =>
        Tenant("t", health, backends);

    public static TenantState Tenant(string name, HealthConfig? health, params BackendState[] backends)
    {
        var config = new TenantConfig { Name = name, Health = health, Backends = backends.Select(b => b.Config).ToArray() };
        return new TenantState(config, backends, new LeastConnectionsPolicy(), new TenantCounters(), new TenantLimitState());
    }

    public void Dispose() => Monitor.Dispose();
}
