using System.Net;
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

    public HealthFixture() => Monitor = new HealthMonitor(NullLogger.Instance, Time, Probe);

    public static BackendState Backend(int port) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port) });

    public static TenantState Tenant(HealthConfig? health, params BackendState[] backends) =>
        Tenant("t", health, backends);

    public static TenantState Tenant(string name, HealthConfig? health, params BackendState[] backends)
    {
        var config = new TenantConfig { Name = name, Health = health, Backends = backends.Select(b => b.Config).ToArray() };
        return new TenantState(config, backends, new LeastConnectionsPolicy(), new TenantCounters(), new TenantLimitState());
    }

    public void Dispose() => Monitor.Dispose();
}
