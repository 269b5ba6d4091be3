using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.IntegrationTests.Limits;

namespace L4Balancer.IntegrationTests.Proxy;

/// <summary>
/// Issue 11, defect 1: a connection rejected after 64 KiB or more of its bytes were buffered never
/// finished (the receive loop waited in FlushAsync above the pause threshold for a reader that never
/// came, while the rejection waited for the receive loop): no access record, slots kept for good.
/// Each case here buffers more than the pause threshold while the backend connect hangs, and then
/// checks that every session ends, is logged and gives its slots back. (Oversized input rejected
/// by the SNI peek itself is <see cref="Tls.OversizedInputTests"/>.)
/// </summary>
public class RejectedAfterBufferingTests
{
    private static readonly IPAddress Junk = IPAddress.Parse("127.0.0.4");

    private static async Task SendAndAwaitCloseAsync(IPEndPoint target, byte[] payload, CancellationToken deadline)
    {
        using var socket = await SocketExtensions.ConnectToAsync(target, Junk, deadline);
        try
        {
            await socket.SendAllAsync(payload, deadline);
        }
        catch (SocketException)
        {
            // The balancer may reset before it has read all of it: that is a close too.
        }

        await socket.WaitForCloseAsync(deadline);
    }

    private static async Task AssertEverySessionEndedAsync(BalancerHarness balancer, string end, int count)
    {
        await Slots.AssertAllReleasedAsync(balancer);
        var records = balancer.AccessLog.Where(r => r.Contains($"end={end}", StringComparison.Ordinal)).ToList();
        Assert.True(records.Count == count, $"{records.Count} of {count} records say end={end}:\n{string.Join("\n", balancer.AccessLog)}");
    }

    [Fact]
    public async Task Port_listener_whose_backend_connect_times_out_while_the_client_sends_100_KiB_finishes_every_session()
    {
        await using var blackhole = Blackhole.Start();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(blackhole.EndPoint)],
            tenant: t => t with { Retries = 0 },
            global: g => g with { ConnectTimeout = TimeSpan.FromMilliseconds(300), MaxConnectionsPerIp = 10 });
        await using var balancer = await BalancerHarness.StartAsync(config);
        var payload = new byte[100 * 1024];

        var deadline = Deadline.After();
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendAndAwaitCloseAsync(balancer.EndPoint(), payload, deadline)));

        await AssertEverySessionEndedAsync(balancer, "no_backend", 10);
        Assert.Equal(0, balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends.Single().ActiveConnections);
    }

    [Fact]
    public async Task Sni_listener_whose_backend_connect_times_out_while_the_client_sends_a_hello_and_100_KiB_finishes_every_session()
    {
        await using var blackhole = Blackhole.Start();
        await using var unused = TestBackend.Named("acme");
        var config = LimitConfigs.Sni(new Dictionary<string, TestBackend> { ["acme"] = unused },
            global: g => g with { ConnectTimeout = TimeSpan.FromMilliseconds(300) },
            tenant: t => t with { Retries = 0, Backends = [TestConfigs.Backend(blackhole.EndPoint)] });
        await using var balancer = await BalancerHarness.StartAsync(config);
        byte[] payload = [.. LimitConfigs.Hello("acme"), .. new byte[100 * 1024]];

        var deadline = Deadline.After();
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendAndAwaitCloseAsync(balancer.EndPoint(), payload, deadline)));

        await AssertEverySessionEndedAsync(balancer, "no_backend", 10);
    }

    [Fact]
    public async Task A_drain_while_connects_hang_and_100_KiB_wait_ends_every_session_at_once()
    {
        await using var blackhole = Blackhole.Start();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(blackhole.EndPoint)],
            global: g => g with { ConnectTimeout = TimeSpan.FromMinutes(5), DrainTimeout = TimeSpan.FromMilliseconds(100) });
        await using var balancer = await BalancerHarness.StartAsync(config);
        var deadline = Deadline.After();
        var clients = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => balancer.ConnectAsync()));
        try
        {
            await Task.WhenAll(clients.Select(c => c.SendAllAsync(new byte[100 * 1024], deadline)));
            // The sockets transport reads the client while it connects (up to the pause threshold); the
            // epoll transport leaves the bytes in the kernel until the backend leg runs.
            await Deadline.UntilAsync(
                () => balancer.Engine.Connections.Enumerate().Count(s => TestTransport.Effective == TransportKind.Epoll || s.BytesClientToBackend >= 64 * 1024) == 10,
                because: "every session to buffer its client's bytes");

            await balancer.Engine.StopAsync().WaitAsync(deadline);

            Assert.Equal(0, balancer.Engine.Connections.Count);
            Assert.Equal(10, balancer.AccessLog.Count(r => r.Contains("end=drained", StringComparison.Ordinal)));
        }
        finally
        {
            Array.ForEach(clients, c => c.Dispose());
        }
    }
}
