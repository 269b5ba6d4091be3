using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Each concurrency limit at 5 under 200 simultaneous connects: exactly 5 are admitted, the other
/// 195 are closed before reaching a backend and counted under the limit's reason, and once the 5
/// close their slots are free for new connections.
/// </summary>
public class ConcurrencyLimitTests
{
    private const int Limit = 5;
    private const int Burst = 200;

    private static long Rejected(BalancerHarness balancer, CloseReason reason, string tenant = "") =>
        balancer.Engine.Rejections.Get(TestConfigs.ListenerName, tenant, reason);

    private static async Task AssertExactlyAsync(BalancerHarness balancer, TestBackend backend, CloseReason reason, string rejectedTenant, IPAddress? from = null)
    {
        using (var crowd = await Crowd.ArriveAsync(balancer.EndPoint(), Burst, from))
        {
            Assert.Equal(Limit, crowd.Admitted.Count);
            Assert.Equal(Burst - Limit, crowd.Rejected);
            Assert.Equal(Burst - Limit, Rejected(balancer, reason, rejectedTenant));
            Assert.Single(balancer.Engine.Rejections.Snapshot()); // under that one reason only
            Assert.Equal(Limit, backend.Total); // no rejected connection reached the backend
        }

        // The admitted ones closed: their slots are free again, for exactly as many.
        await Slots.AssertAllReleasedAsync(balancer);
        using (var again = await Crowd.ArriveAsync(balancer.EndPoint(), Limit + 1, from))
        {
            Assert.Equal(Limit, again.Admitted.Count);
            Assert.Equal(Burst - Limit + 1, Rejected(balancer, reason, rejectedTenant));
        }

        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task Global_max_connections()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(
            TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { MaxConnections = Limit }));

        // Counted before routing, so with no tenant label, even on a port listener.
        await AssertExactlyAsync(balancer, backend, CloseReason.GlobalLimit, "");
    }

    [Fact]
    public async Task Global_max_connections_per_ip_and_other_addresses_are_not_affected()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(
            TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { MaxConnectionsPerIp = Limit }));
        var flooder = IPAddress.Parse("127.0.0.2");

        var flood = Crowd.ArriveAsync(balancer.EndPoint(), Burst, flooder);
        var others = Crowd.ArriveAsync(balancer.EndPoint(), Limit, IPAddress.Parse("127.0.0.3"));
        using (var a = await flood)
        using (var b = await others)
        {
            Assert.Equal(Limit, a.Admitted.Count);
            Assert.Equal(Limit, b.Admitted.Count);
            Assert.Equal(Burst - Limit, Rejected(balancer, CloseReason.PerIpLimit));
            Assert.Equal(Limit, balancer.Engine.Limits.ConnectionsPerIp.CountFor(flooder));
        }

        await Slots.AssertAllReleasedAsync(balancer);
        using var again = await Crowd.ArriveAsync(balancer.EndPoint(), Limit, flooder);
        Assert.Equal(Limit, again.Admitted.Count);
    }

    [Fact]
    public async Task Tenant_max_connections()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(
            TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { MaxConnections = Limit }));

        await AssertExactlyAsync(balancer, backend, CloseReason.TenantLimit, TestConfigs.TenantName);
        Assert.Equal(Burst - Limit + 1, balancer.Engine.Current.Tenants[TestConfigs.TenantName].Counters.Rejections(CloseReason.TenantLimit));
    }

    [Fact]
    public async Task Backend_max_connections()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(
            TestConfigs.PortRouted([TestConfigs.Backend(backend, maxConnections: Limit)]));

        // Its only backend full, the tenant has nowhere to send the connection.
        await AssertExactlyAsync(balancer, backend, CloseReason.NoBackend, TestConfigs.TenantName);
    }

    [Ipv6LoopbackFact]
    public async Task An_ipv4_client_on_a_dual_stack_listener_counts_with_its_ipv4_connections()
    {
        await using var backend = TestBackend.Named("b");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { MaxConnectionsPerIp = Limit });
        config = config with
        {
            Listeners =
            [
                .. config.Listeners,
                new ListenerConfig { Name = "dual", Bind = new IPEndPoint(IPAddress.IPv6Any, 0), Route = RouteMode.Port, Tenant = TestConfigs.TenantName },
            ],
        };
        await using var balancer = await BalancerHarness.StartAsync(config);
        var dual = new IPEndPoint(IPAddress.Loopback, balancer.EndPoint("dual").Port); // arrives as ::ffff:127.0.0.1

        using var v4 = await Crowd.ArriveAsync(balancer.EndPoint(), 3);
        using var mapped = await Crowd.ArriveAsync(dual, 3);

        Assert.Equal(3, v4.Admitted.Count);
        Assert.Equal(2, mapped.Admitted.Count);
        Assert.Equal(1, balancer.Engine.Rejections.Get("dual", "", CloseReason.PerIpLimit));
        Assert.Equal(1, balancer.Engine.Limits.ConnectionsPerIp.TrackedAddresses);
    }
}
