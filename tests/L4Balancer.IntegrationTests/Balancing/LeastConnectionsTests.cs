using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Balancing;

public class LeastConnectionsTests
{
    private static async Task<(System.Net.Sockets.Socket Socket, string Backend)> OpenAsync(BalancerHarness balancer)
    {
        var socket = await balancer.ConnectAsync();
        return (socket, await socket.ReadLineAsync(Deadline.After()));
    }

    [Fact]
    public async Task New_connections_go_to_the_backend_with_fewer_open()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(a, b));

        var open = new List<(System.Net.Sockets.Socket Socket, string Backend)>();
        for (var i = 0; i < 4; i++)
        {
            open.Add(await OpenAsync(balancer));
        }

        Assert.Equal(2, open.Count(c => c.Backend == "a"));
        Assert.Equal(2, open.Count(c => c.Backend == "b"));

        // Close both connections on b: a keeps 2 open, so the next two must both go to b.
        foreach (var c in open.Where(c => c.Backend == "b"))
        {
            c.Socket.Dispose();
        }

        await Deadline.UntilAsync(() => b.Active == 0 && balancer.Engine.Connections.Count == 2);
        var next1 = await OpenAsync(balancer);
        var next2 = await OpenAsync(balancer);

        Assert.Equal("b", next1.Backend);
        Assert.Equal("b", next2.Backend);
        foreach (var c in open.Append(next1).Append(next2))
        {
            c.Socket.Dispose();
        }
    }

    [Fact]
    public async Task Weights_divide_open_connections()
    {
        await using var heavy = TestBackend.Named("heavy");
        await using var light = TestBackend.Named("light");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(heavy, weight: 3), TestConfigs.Backend(light, weight: 1)]);
        await using var balancer = await BalancerHarness.StartAsync(config);

        var open = new List<(System.Net.Sockets.Socket Socket, string Backend)>();
        for (var i = 0; i < 8; i++)
        {
            open.Add(await OpenAsync(balancer));
        }

        Assert.Equal(6, open.Count(c => c.Backend == "heavy"));
        Assert.Equal(2, open.Count(c => c.Backend == "light"));
        open.ForEach(c => c.Socket.Dispose());
    }

    [Fact]
    public async Task Backend_at_its_max_connections_is_skipped()
    {
        await using var small = TestBackend.Named("small");
        await using var big = TestBackend.Named("big");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(small, maxConnections: 1), TestConfigs.Backend(big)]);
        await using var balancer = await BalancerHarness.StartAsync(config);

        var open = new List<(System.Net.Sockets.Socket Socket, string Backend)>();
        for (var i = 0; i < 5; i++)
        {
            open.Add(await OpenAsync(balancer));
        }

        Assert.Equal(1, open.Count(c => c.Backend == "small"));
        Assert.Equal(4, open.Count(c => c.Backend == "big"));
        open.ForEach(c => c.Socket.Dispose());
    }
}
