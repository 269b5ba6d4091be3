using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Proxy;

public class TimeoutAndDrainTests
{
    [Fact]
    public async Task Idle_connection_is_closed_after_idle_timeout_and_logged()
    {
        var time = new FakeTimeProvider();
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { IdleTimeout = TimeSpan.FromSeconds(30) });
        await using var balancer = await BalancerHarness.StartAsync(config, time);
        using var client = await balancer.ConnectAsync();
        await client.SendTextAsync("ping\n", Deadline.After());
        Assert.Equal("ping", await client.ReadLineAsync(Deadline.After()));

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(1, balancer.Engine.Connections.Count); // not idle long enough yet

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=idle_timeout")));
    }

    [Fact]
    public async Task Stop_closes_listener_at_once_and_lets_open_connection_finish()
    {
        await using var backend = TestBackend.Echo();
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var endPoint = balancer.EndPoint();
        using var client = await balancer.ConnectAsync();
        await client.SendTextAsync("before\n", Deadline.After());
        Assert.Equal("before", await client.ReadLineAsync(Deadline.After()));

        var stopping = balancer.Engine.StopAsync();

        // The listener is closed at once: new connections are refused while the old one still works.
        await Deadline.UntilAsync(() =>
        {
            using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                probe.Connect(endPoint);
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        });
        Assert.False(stopping.IsCompleted);
        await client.SendTextAsync("during\n", Deadline.After());
        Assert.Equal("during", await client.ReadLineAsync(Deadline.After()));

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));
        await stopping.WaitAsync(Deadline.After());
        Assert.Contains(balancer.AccessLog, l => l.Contains("end=closed"));
    }

    [Fact]
    public async Task Stop_closes_what_is_still_open_after_drain_timeout()
    {
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { DrainTimeout = TimeSpan.FromMilliseconds(200) });
        await using var balancer = await BalancerHarness.StartAsync(config);
        using var client = await balancer.ConnectAsync();
        await client.SendTextAsync("x\n", Deadline.After());
        Assert.Equal("x", await client.ReadLineAsync(Deadline.After()));

        await balancer.Engine.StopAsync().WaitAsync(Deadline.After());

        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));
        Assert.Contains(balancer.AccessLog, l => l.Contains("end=drained"));
    }
}
