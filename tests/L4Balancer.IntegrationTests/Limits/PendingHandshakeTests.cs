using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Connections on an sni listener that have not sent their ClientHello are bounded per source IP
/// (refused as <c>per_ip_limit</c>) and in total (the least advanced of the oldest is evicted as
/// <c>hello_timeout</c> to make room). A fake clock keeps
/// <c>client_hello_timeout</c> from firing, so the pending ones provably stay pending.
/// </summary>
public class PendingHandshakeTests
{
    private static readonly IPAddress Loris = IPAddress.Parse("127.0.0.2");

    private static long Rejected(BalancerHarness balancer, CloseReason reason) =>
        balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", reason);

    /// <summary>Waits until the balancer has closed all but <paramref name="open"/> of them; returns the open ones.</summary>
    private static async Task<List<Socket>> SurvivorsAsync(List<Socket> sockets, int open)
    {
        await Deadline.UntilAsync(() => sockets.Count(s => !Crowd.IsClosedByPeer(s)) == open, because: $"all but {open} to be closed");
        return sockets.Where(s => !Crowd.IsClosedByPeer(s)).ToList();
    }

    [Fact]
    public async Task Per_ip_bound_keeps_exactly_5_of_200_silent_connections_and_other_addresses_are_served()
    {
        await using var backend = TestBackend.Named("acme");
        var config = LimitConfigs.Sni(new Dictionary<string, TestBackend> { ["acme"] = backend }, global: g => g with { MaxPendingHandshakesPerIp = 5 });
        await using var balancer = await BalancerHarness.StartAsync(config, new FakeTimeProvider());

        var sockets = await Crowd.OpenAsync(balancer.EndPoint(), 200, Loris);
        try
        {
            var pending = await SurvivorsAsync(sockets, 5);
            Assert.Equal(195, Rejected(balancer, CloseReason.PerIpLimit));
            Assert.Equal(5, balancer.Engine.Limits.PendingHandshakes.Count);

            // Another address is not held up by the first one's stalled hellos.
            using (var other = await Crowd.ArriveAsync(balancer.EndPoint(), 5, IPAddress.Parse("127.0.0.3"), LimitConfigs.Hello("acme")))
            {
                Assert.Equal(5, other.Admitted.Count);
            }

            // The five finish their hellos: admitted, and no longer pending.
            var hello = LimitConfigs.Hello("acme");
            foreach (var socket in pending)
            {
                await socket.SendAllAsync(hello, Deadline.After());
                Assert.Equal("acme", await socket.ReadLineAsync(Deadline.After()));
            }

            Assert.Equal(0, balancer.Engine.Limits.PendingHandshakes.Count);
            Assert.Equal(0, balancer.Engine.Limits.PendingHandshakesPerIp.CountFor(Loris));

            // So five more from that address may wait for their hellos, and not six.
            var more = await Crowd.OpenAsync(balancer.EndPoint(), 6, Loris);
            sockets.AddRange(more);
            await SurvivorsAsync(more, 5);
            Assert.Equal(196, Rejected(balancer, CloseReason.PerIpLimit));
            Assert.Equal(10, backend.Total);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task Total_bound_keeps_5_of_200_silent_connections_by_evicting_the_oldest_and_a_hello_in_progress_outlives_them()
    {
        await using var backend = TestBackend.Named("acme");
        var config = LimitConfigs.Sni(new Dictionary<string, TestBackend> { ["acme"] = backend },
            global: g => g with { MaxPendingHandshakes = 5, MaxPendingHandshakesPerIp = 0 });
        await using var balancer = await BalancerHarness.StartAsync(config, new FakeTimeProvider());
        var hello = LimitConfigs.Hello("acme");

        // A client that has sent part of its hello: progress protects it from eviction.
        var started = await balancer.ConnectAsync();
        await started.SendAllAsync(hello.AsMemory(0, 20), Deadline.After());
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Enumerate().Any(s => s.BytesClientToBackend == 20), because: "its first bytes to arrive");

        // One at a time, so the order of arrival (and so of eviction) is known.
        var sockets = new List<Socket> { started };
        try
        {
            for (var i = 0; i < 200; i++)
            {
                sockets.AddRange(await Crowd.OpenAsync(balancer.EndPoint(), 1));
                var arrived = i + 2;
                await Deadline.UntilAsync(() => balancer.Engine.Limits.PendingHandshakes.Count + balancer.Engine.Limits.PendingHandshakes.Evicted == arrived,
                    because: "the connection to take its pending slot");
            }

            var pending = await SurvivorsAsync(sockets, 5);
            Assert.Equal(5, balancer.Engine.Limits.PendingHandshakes.Count);
            Assert.Equal(196, balancer.Engine.Limits.PendingHandshakes.Evicted);
            await Deadline.UntilAsync(() => Rejected(balancer, CloseReason.HelloTimeout) == 196, because: "every evicted session to finish and be counted");
            Assert.Equal(0, Rejected(balancer, CloseReason.GlobalLimit));
            Assert.Equal(sockets.Take(1).Concat(sockets.TakeLast(4)), pending); // and the newest

            // The one that had started finishes its hello: routed.
            Assert.False(Crowd.IsClosedByPeer(started));
            await started.SendAllAsync(hello.AsMemory(20), Deadline.After());
            Assert.Equal("acme", await started.ReadLineAsync(Deadline.After()));

            // And an honest newcomer always gets through, at the cost of a silent one.
            using var next = await Crowd.ArriveAsync(balancer.EndPoint(), 1, hello: hello);
            Assert.Single(next.Admitted);
            Assert.Equal(2, backend.Total);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        await Slots.AssertAllReleasedAsync(balancer);
    }
}
