using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Tenant <c>queue_timeout</c>: with every backend at its <c>max_connections</c>, a connection waits in the
/// balancer and gets the first slot that frees, instead of <c>no_backend</c> at once; it is refused as
/// <c>queue_timeout</c> when none frees in time, and as <c>no_backend</c> past <c>max_queue</c>.
/// </summary>
public class BackendQueueTests
{
    private static int Queued(BalancerHarness balancer) =>
        balancer.Engine.Current.Tenants[TestConfigs.TenantName].Limits.Queue.Length;

    private static long Rejected(BalancerHarness balancer, CloseReason reason) =>
        balancer.Engine.Rejections.Get(TestConfigs.ListenerName, TestConfigs.TenantName, reason);

    [Fact]
    public async Task A_connection_waits_for_a_full_backend_and_gets_the_first_slot_that_frees()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(
            [TestConfigs.Backend(backend, maxConnections: 1)], tenant: t => t with { QueueTimeout = TimeSpan.FromSeconds(30) }));

        var first = await balancer.ConnectAsync();
        Assert.Equal("b", await first.ReadLineAsync(Deadline.After(TimeSpan.FromSeconds(10))));

        using var waiting = await balancer.ConnectAsync();
        await Deadline.UntilAsync(() => Queued(balancer) == 1, TimeSpan.FromSeconds(10), "the second connection to wait in the queue");
        Assert.Equal(1, backend.Total); // it holds no backend connection while it waits

        // The greeting can only come once the first connection's slot is free.
        var greeting = waiting.ReadLineAsync(Deadline.After(TimeSpan.FromSeconds(10)));
        first.Dispose();
        Assert.Equal("b", await greeting);
        Assert.Equal(0, Queued(balancer));
        Assert.Equal(2, backend.Total);
        Assert.Equal(0, Rejected(balancer, CloseReason.QueueTimeout) + Rejected(balancer, CloseReason.NoBackend));

        waiting.Dispose();
        await Slots.AssertAllReleasedAsync(balancer);
        Assert.Equal(1, balancer.Engine.Current.Tenants[TestConfigs.TenantName].Limits.Queue.Total);
    }

    [Fact]
    public async Task Waiting_past_queue_timeout_is_refused_as_queue_timeout_and_past_max_queue_as_no_backend()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(
            [TestConfigs.Backend(backend, maxConnections: 1)],
            tenant: t => t with { QueueTimeout = TimeSpan.FromMilliseconds(300), MaxQueue = 1 }));

        using var first = await balancer.ConnectAsync();
        Assert.Equal("b", await first.ReadLineAsync(Deadline.After(TimeSpan.FromSeconds(10))));

        using var waiting = await balancer.ConnectAsync();
        await Deadline.UntilAsync(() => Queued(balancer) == 1, TimeSpan.FromSeconds(10), "the second connection to wait in the queue");

        // The queue holds one: the third is refused at once, without waiting.
        using var third = await balancer.ConnectAsync();
        await third.WaitForCloseAsync(Deadline.After(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, Rejected(balancer, CloseReason.NoBackend));

        // Nothing frees the slot: the waiting one is closed once its 300 ms are up.
        await waiting.WaitForCloseAsync(Deadline.After(TimeSpan.FromSeconds(10)));
        await Deadline.UntilAsync(() => Rejected(balancer, CloseReason.QueueTimeout) == 1, TimeSpan.FromSeconds(10), "the timeout to be counted");
        Assert.Equal(0, Queued(balancer));
        Assert.Equal(1, backend.Total);

        // The first one is still served.
        await first.SendAsync("ping\n"u8.ToArray());
        Assert.Equal("ping", await first.ReadLineAsync(Deadline.After(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task Without_queue_timeout_a_full_backend_refuses_at_once()
    {
        await using var backend = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted([TestConfigs.Backend(backend, maxConnections: 1)]));

        using var first = await balancer.ConnectAsync();
        Assert.Equal("b", await first.ReadLineAsync(Deadline.After(TimeSpan.FromSeconds(10))));
        using var second = await balancer.ConnectAsync();
        await second.WaitForCloseAsync(Deadline.After(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, Rejected(balancer, CloseReason.NoBackend));
        Assert.Equal(0, Rejected(balancer, CloseReason.QueueTimeout));
        Assert.Equal(0, balancer.Engine.Current.Tenants[TestConfigs.TenantName].Limits.Queue.Total);
    }

    [Fact]
    public async Task A_down_backend_is_not_waited_for()
    {
        // Only a backend that is up and full is worth waiting for: one that refuses connects fails the
        // connection at once (no_backend), queue or not.
        var closed = TestConfigs.ClosedPort();
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(
            [TestConfigs.Backend(closed, maxConnections: 1)], tenant: t => t with { QueueTimeout = TimeSpan.FromSeconds(30), Retries = 0 }));

        using var client = await balancer.ConnectAsync();
        await client.WaitForCloseAsync(Deadline.After(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, Rejected(balancer, CloseReason.NoBackend));
        Assert.Equal(0, balancer.Engine.Current.Tenants[TestConfigs.TenantName].Limits.Queue.Total);
    }
}
