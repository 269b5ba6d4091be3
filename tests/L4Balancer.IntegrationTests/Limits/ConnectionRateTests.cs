using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Tenant <c>connection_rate</c> / <c>connection_burst</c> on a fake clock: the bucket cannot refill
/// while a burst races it, so "exactly" is exact, and refilling is a matter of moving the clock.
/// </summary>
public class ConnectionRateTests
{
    private static long RateLimited(BalancerHarness balancer) =>
        balancer.Engine.Rejections.Get(TestConfigs.ListenerName, TestConfigs.TenantName, CloseReason.RateLimited);

    [Fact]
    public async Task A_burst_of_200_against_rate_5_admits_exactly_the_burst_and_the_bucket_refills_with_time()
    {
        var time = new FakeTimeProvider();
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(
            TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { ConnectionRate = 5, ConnectionBurst = 5 }), time);

        using (var crowd = await Crowd.ArriveAsync(balancer.EndPoint(), 200))
        {
            Assert.Equal(5, crowd.Admitted.Count);
            Assert.Equal(195, RateLimited(balancer));
            Assert.Equal(5, backend.Total);
        }

        // Closing frees nothing here: the rate counts arrivals, not open connections.
        await Slots.AssertAllReleasedAsync(balancer);
        using (var none = await Crowd.ArriveAsync(balancer.EndPoint(), 3))
        {
            Assert.Empty(none.Admitted);
        }

        // 5/s is one token per 200 ms.
        time.Advance(TimeSpan.FromMilliseconds(200));
        using (var one = await Crowd.ArriveAsync(balancer.EndPoint(), 3))
        {
            Assert.Single(one.Admitted);
        }

        // A long pause refills the bucket to its burst and no further.
        time.Advance(TimeSpan.FromMinutes(1));
        using (var full = await Crowd.ArriveAsync(balancer.EndPoint(), 20))
        {
            Assert.Equal(5, full.Admitted.Count);
        }

        Assert.Equal(195 + 3 + 2 + 15, RateLimited(balancer));
        Assert.Equal(11, backend.Total);
        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task Connections_refused_for_max_connections_take_no_token()
    {
        var time = new FakeTimeProvider();
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(
            TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { MaxConnections = 2, ConnectionRate = 1, ConnectionBurst = 4 }), time);

        using (var crowd = await Crowd.ArriveAsync(balancer.EndPoint(), 50))
        {
            Assert.Equal(2, crowd.Admitted.Count);
            Assert.Equal(48, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, TestConfigs.TenantName, CloseReason.TenantLimit));
            Assert.Equal(0, RateLimited(balancer));
        }

        await Slots.AssertAllReleasedAsync(balancer);

        // Two of the four tokens are left for the next ones, the clock not having moved.
        using (var next = await Crowd.ArriveAsync(balancer.EndPoint(), 2))
        {
            Assert.Equal(2, next.Admitted.Count);
        }

        await Slots.AssertAllReleasedAsync(balancer);
        using var refused = await Crowd.ArriveAsync(balancer.EndPoint(), 1);
        Assert.Empty(refused.Admitted);
        Assert.Equal(1, RateLimited(balancer));
    }
}
