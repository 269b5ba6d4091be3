using System.Diagnostics;
using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Transport.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Tenant <c>bandwidth</c> on the real clock (a transfer's duration is the point), with generous
/// bands: a loaded machine can only make a transfer slower, so the lower bounds are the sharp ones.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public class BandwidthTests
{
    private const int MB = 1_000_000;

    private static byte[] Payload(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data);
        return data;
    }

    /// <summary>Sends <paramref name="data"/> and reads the echo at the same time; returns when all of it is back.</summary>
    private static async Task<TimeSpan> EchoAsync(Socket client, byte[] data, CancellationToken deadline)
    {
        var watch = Stopwatch.StartNew();
        var send = Task.Run(async () =>
        {
            await client.SendAllAsync(data, deadline);
            client.Shutdown(SocketShutdown.Send);
        });
        var echoed = await client.ReadToEndAsync(deadline);
        await send;
        watch.Stop();
        Assert.Equal(data, echoed);
        return watch.Elapsed;
    }

    [Fact]
    public async Task A_tenant_limited_to_1_MB_per_second_moves_3_MB_in_about_3_s_and_an_unlimited_tenant_is_not_slowed()
    {
        await using var slowBackend = TestBackend.Echo();
        await using var fastBackend = TestBackend.Echo();
        var pool = new CountingMemoryPool();
        var relay = new RelayOptions { Pool = pool };
        var config = LimitConfigs.PortPerTenant(new Dictionary<string, TestBackend> { ["slow"] = slowBackend, ["fast"] = fastBackend },
            tenant: t => t.Name == "slow" ? t with { Bandwidth = 1 * MB } : t);
        await using var balancer = await BalancerHarness.StartAsync(config, relay: relay);
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));
        var data = Payload(3 * MB);
        using var slowClient = await balancer.ConnectAsync("slow");
        using var fastClient = await balancer.ConnectAsync("fast");

        // 3 MB up and the same 3 MB back down, each direction at 1 MB/s: both directions overlap,
        // so about 3 s in all (less the 100 ms the bucket holds at the start).
        var slow = EchoAsync(slowClient, data, deadline);
        var fast = EchoAsync(fastClient, data, deadline);
        var fastElapsed = await fast;
        var slowElapsed = await slow;

        Assert.InRange(slowElapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
        Assert.True(fastElapsed < TimeSpan.FromSeconds(1.5), $"the unlimited tenant took {fastElapsed} next to the limited one");

        // Waiting for tokens held the bytes back in the senders, not in the balancer: at most a
        // pipe's worth per direction and session (64 KiB pause threshold plus a segment), as unlimited.
        Assert.True(pool.Peak <= 2 * 2 * (relay.PauseThreshold + relay.ReceiveBufferSize), $"pooled bytes peaked at {pool.Peak}");
        await Slots.AssertAllReleasedAsync(balancer);
        var counters = balancer.Engine.Current.Tenants["slow"].Counters;
        Assert.Equal((3 * MB, 3 * MB), (counters.BytesClientToBackend, counters.BytesBackendToClient));
    }

    [Fact]
    public async Task Connections_of_one_tenant_share_its_bandwidth_and_none_is_served_first()
    {
        // Each connection downloads 1 MB; the tenant's 1 MB/s is shared by all three. Shared fairly,
        // all three finish together after about 3 s; a limit per connection would finish them in 1 s,
        // and serving one at a time would finish the first after 1 s.
        var download = Payload(1 * MB);
        await using var backend = TestBackend.Start(async socket =>
        {
            await socket.SendAllAsync(download, Deadline.After(TimeSpan.FromSeconds(60)));
            socket.Shutdown(SocketShutdown.Send);
            await Handlers.HoldAsync(socket);
        });
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { Bandwidth = 1 * MB });
        await using var balancer = await BalancerHarness.StartAsync(config);
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));

        var clients = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => balancer.ConnectAsync()));
        var watch = Stopwatch.StartNew();
        var finished = await Task.WhenAll(clients.Select(async client =>
        {
            var received = await client.ReadToEndAsync(deadline);
            Assert.Equal(download, received);
            return watch.Elapsed;
        }));

        Assert.All(finished, elapsed => Assert.InRange(elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6)));
        foreach (var client in clients)
        {
            client.Dispose();
        }

        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task A_session_waiting_for_bandwidth_is_closed_at_once_by_a_drain()
    {
        // 1000 B/s: a 1 MB download would take over 16 minutes; the drain must not wait for its turn.
        var download = Payload(1 * MB);
        await using var backend = TestBackend.Start(async socket =>
        {
            await socket.SendAllAsync(download, Deadline.After(TimeSpan.FromSeconds(60)));
            await Handlers.HoldAsync(socket);
        });
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { Bandwidth = 1000 },
            global: g => g with { DrainTimeout = TimeSpan.FromMilliseconds(100) });
        await using var balancer = await BalancerHarness.StartAsync(config);
        using var client = await balancer.ConnectAsync();
        // 16 KiB: what the epoll transport's copy buffer holds before the limit lets it drain (the sockets
        // transport buffers up to its 64 KiB pause threshold); either way far more than the limit allows.
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Enumerate().Any(s => s.BytesBackendToClient >= 16 * 1024), because: "the backend's bytes to queue up behind the limit");

        await balancer.Engine.StopAsync().WaitAsync(Deadline.After(TimeSpan.FromSeconds(10)));

        await Slots.AssertAllReleasedAsync(balancer);
        Assert.Contains(balancer.AccessLog, l => l.Contains("end=drained"));
    }
}
