using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Limits;

public class AdmissionTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");
    private readonly GlobalLimitState _global = new();
    private readonly FakeTimeProvider _time = new();

    private static TenantState Tenant(int maxConnections = 0, int rate = 0, int burst = 0) => new(
        new TenantConfig { Name = "acme", MaxConnections = maxConnections, ConnectionRate = rate, ConnectionBurst = burst },
        [],
        LoadBalancingPolicies.Create(new TenantConfig { Name = "acme" }, TimeProvider.System, new Random(1)),
        new TenantCounters(),
        new TenantLimitState());

    [Fact]
    public void Per_ip_is_checked_before_global_and_each_refusal_names_its_limit()
    {
        var config = new GlobalConfig { MaxConnections = 2, MaxConnectionsPerIp = 1 };
        var first = new Admission(_global, Client);
        Assert.Equal(CloseReason.None, first.EnterProcess(config));

        // Same address, and the process has room: per_ip_limit.
        Assert.Equal(CloseReason.PerIpLimit, new Admission(_global, Client).EnterProcess(config));

        // Another address fills the process; a third address is refused for the process.
        Assert.Equal(CloseReason.None, new Admission(_global, IPAddress.Parse("192.0.2.8")).EnterProcess(config));
        var third = new Admission(_global, IPAddress.Parse("192.0.2.9"));
        Assert.Equal(CloseReason.GlobalLimit, third.EnterProcess(config));

        // The refused one gives back the per-IP slot it took on the way.
        third.ReleaseAll();
        Assert.Equal(0, _global.ConnectionsPerIp.CountFor(IPAddress.Parse("192.0.2.9")));
        Assert.Equal(2, _global.Connections.Count);
    }

    [Fact]
    public void Pending_handshakes_are_refused_per_ip_and_in_total_the_least_advanced_old_one_makes_way()
    {
        var config = new GlobalConfig { MaxPendingHandshakes = 2, MaxPendingHandshakesPerIp = 1 };
        var (a, b, c) = (new FakePending(10), new FakePending(3), new FakePending(0));
        var first = new Admission(_global, Client);
        Assert.Equal(CloseReason.None, first.EnterHandshake(config, a));
        Assert.Equal(CloseReason.PerIpLimit, new Admission(_global, Client).EnterHandshake(config, new FakePending(0)));
        Assert.Equal(CloseReason.None, new Admission(_global, IPAddress.Parse("192.0.2.8")).EnterHandshake(config, b));

        // Full: a third address is let in and the one with the least hello so far is evicted.
        Assert.Equal(CloseReason.None, new Admission(_global, IPAddress.Parse("192.0.2.9")).EnterHandshake(config, c));
        Assert.Equal((false, true, false), (a.Evicted, b.Evicted, c.Evicted));
        Assert.Equal(2, _global.PendingHandshakes.Count);

        first.LeaveHandshake();

        Assert.Equal(1, _global.PendingHandshakes.Count);
        Assert.Equal(CloseReason.None, new Admission(_global, Client).EnterHandshake(config, new FakePending(0)));
    }

    private sealed class FakePending(long progress) : IPendingHandshake
    {
        public bool Evicted { get; private set; }

        public long HelloProgress => progress;

        public void Evict() => Evicted = true;
    }

    [Fact]
    public void A_connection_refused_for_concurrency_takes_no_rate_token()
    {
        var tenant = Tenant(maxConnections: 1, rate: 1, burst: 2);
        var holder = new Admission(_global, Client);
        Assert.Equal(CloseReason.None, holder.EnterTenant(tenant.Config, tenant.Limits, _time));

        Assert.Equal(CloseReason.TenantLimit, new Admission(_global, Client).EnterTenant(tenant.Config, tenant.Limits, _time));
        Assert.Equal(CloseReason.TenantLimit, new Admission(_global, Client).EnterTenant(tenant.Config, tenant.Limits, _time));
        holder.ReleaseAll();

        // One token of the burst of two is left, not zero.
        var next = new Admission(_global, Client);
        Assert.Equal(CloseReason.None, next.EnterTenant(tenant.Config, tenant.Limits, _time));
        next.ReleaseAll();
        Assert.Equal(CloseReason.RateLimited, new Admission(_global, Client).EnterTenant(tenant.Config, tenant.Limits, _time));
    }

    [Fact]
    public void Burst_defaults_to_the_rate_for_a_config_built_in_code()
    {
        var tenant = Tenant(rate: 3);
        var results = Enumerable.Range(0, 5).Select(_ =>
        {
            var admission = new Admission(_global, Client);
            var result = admission.EnterTenant(tenant.Config, tenant.Limits, _time);
            admission.ReleaseAll();
            return result;
        }).ToArray();

        Assert.Equal([CloseReason.None, CloseReason.None, CloseReason.None, CloseReason.RateLimited, CloseReason.RateLimited], results);
    }

    [Fact]
    public void Every_slot_is_released_once_however_many_times_release_is_called()
    {
        var config = new GlobalConfig { MaxConnections = 1, MaxConnectionsPerIp = 1, MaxPendingHandshakes = 1, MaxPendingHandshakesPerIp = 1 };
        var tenant = Tenant(maxConnections: 1);
        var admission = new Admission(_global, Client);
        Assert.Equal(CloseReason.None, admission.EnterProcess(config));
        Assert.Equal(CloseReason.None, admission.EnterHandshake(config, new FakePending(0)));
        Assert.Equal(CloseReason.None, admission.EnterTenant(tenant.Config, tenant.Limits, _time));

        admission.ReleaseAll();
        admission.ReleaseAll();
        admission.LeaveHandshake();

        Assert.Equal((0, 0, 0, 0, 0), (_global.Connections.Count, _global.ConnectionsPerIp.TrackedAddresses,
            _global.PendingHandshakes.Count, _global.PendingHandshakesPerIp.TrackedAddresses, tenant.Limits.Connections.Count));
    }

    [Fact]
    public void A_connection_without_a_source_address_is_counted_only_globally()
    {
        var admission = new Admission(_global, null);
        Assert.Equal(CloseReason.None, admission.EnterProcess(new GlobalConfig { MaxConnectionsPerIp = 1 }));
        Assert.Equal(1, _global.Connections.Count);
        Assert.Equal(0, _global.ConnectionsPerIp.TrackedAddresses);
        admission.ReleaseAll();
        Assert.Equal(0, _global.Connections.Count);
    }
}
