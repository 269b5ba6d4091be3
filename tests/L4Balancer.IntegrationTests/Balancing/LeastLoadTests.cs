using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Balancing;

/// <summary>
/// Issue 16 end to end on loopback: three backends publish vLLM's <c>/metrics</c>; the one reporting a
/// deep queue gets measurably fewer new connections under <c>least_load</c> than under
/// <c>least_connections</c>, and its share comes back once its queue drains.
/// </summary>
public sealed class LeastLoadTests(ITestOutputHelper output)
{
    private const int MetricsPort = 19_777;

    private sealed record Backends(TestBackend[] Servers, VllmMetricsEndpoint[] Metrics) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var m in Metrics)
            {
                await m.DisposeAsync();
            }

            foreach (var s in Servers)
            {
                await s.DisposeAsync();
            }
        }
    }

    /// <summary>Three named backends on 127.0.0.21–23, each with its metrics on the same port, as a fleet of vLLM servers.</summary>
    private static Backends Start()
    {
        var names = new[] { "a", "b", "c" };
        var servers = new TestBackend[3];
        var metrics = new VllmMetricsEndpoint[3];
        for (var i = 0; i < 3; i++)
        {
            var host = IPAddress.Parse($"127.0.0.{21 + i}");
            var name = names[i];
            servers[i] = TestBackend.Start(s => Handlers.NamedEchoAsync(s, name), host);
            metrics[i] = VllmMetricsEndpoint.Start(new IPEndPoint(host, MetricsPort));
        }

        return new Backends(servers, metrics);
    }

    private static BalancerConfig Config(Backends backends, BalanceAlgorithm balance) =>
        TestConfigs.PortRouted(backends.Servers.Select(s => TestConfigs.Backend(s)), t => t with
        {
            Balance = balance,
            Feedback = new FeedbackConfig
            {
                Source = FeedbackSource.Prometheus,
                Interval = TimeSpan.FromMilliseconds(100),
                Timeout = TimeSpan.FromMilliseconds(100),
                StaleAfter = TimeSpan.FromSeconds(1),
                MetricsUrl = $"http://{{host}}:{MetricsPort}/metrics",
                Load = [new LoadTerm { Metric = "vllm:num_requests_waiting", Weight = 1.0 }],
            },
        });

    private static async Task<Dictionary<string, int>> OpenAsync(BalancerHarness balancer, int count, List<Socket> held)
    {
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["c"] = 0 };
        for (var i = 0; i < count; i++)
        {
            var socket = await balancer.ConnectAsync();
            held.Add(socket);
            counts[await socket.ReadLineAsync(Deadline.After())]++;
        }

        return counts;
    }

    private static async Task CloseAllAsync(List<Socket> held, Backends backends)
    {
        foreach (var socket in held)
        {
            socket.Dispose();
        }

        held.Clear();
        await Deadline.UntilAsync(() => backends.Servers.All(s => s.Active == 0), because: "every backend connection closed");
    }

    [Fact]
    public async Task A_backend_reporting_a_deep_queue_gets_fewer_new_connections_and_its_share_returns_when_it_drains()
    {
        await using var backends = Start();
        backends.Metrics[1].Waiting = 40; // b: a deep queue

        // least_connections: blind to b's queue.
        var held = new List<Socket>();
        Dictionary<string, int> blind;
        await using (var lc = await BalancerHarness.StartAsync(Config(backends, BalanceAlgorithm.LeastConnections)))
        {
            blind = await OpenAsync(lc, 30, held);
            await CloseAllAsync(held, backends);
        }

        // least_load: b's 40 waiting count as 40 open connections, so the first 30 go to a and c.
        await using var ll = await BalancerHarness.StartAsync(Config(backends, BalanceAlgorithm.LeastLoad));
        await Deadline.UntilAsync(
            () => ll.Engine.Current.Tenants[TestConfigs.TenantName].Backends.All(b => b.Report?.Load is not null),
            TimeSpan.FromSeconds(10), "every backend reported its load");
        var aware = await OpenAsync(ll, 30, held);
        output.WriteLine($"b with 40 waiting: least_connections a/b/c = {blind["a"]}/{blind["b"]}/{blind["c"]}, least_load = {aware["a"]}/{aware["b"]}/{aware["c"]}");
        Assert.Equal(10, blind["b"]);
        Assert.True(aware["b"] <= 2, $"least_load sent {aware["b"]} of 30 to the backend with 40 queued");
        await CloseAllAsync(held, backends);

        // b's queue drains: after its next report the three share new connections again.
        backends.Metrics[1].Waiting = 0;
        await Deadline.UntilAsync(
            () => ll.Engine.Current.Tenants[TestConfigs.TenantName].Backends[1].Report?.Load == 0,
            TimeSpan.FromSeconds(10), "b reports an empty queue");
        var recovered = await OpenAsync(ll, 30, held);
        output.WriteLine($"after b drained: least_load a/b/c = {recovered["a"]}/{recovered["b"]}/{recovered["c"]}");
        Assert.Equal(10, recovered["b"]);
        await CloseAllAsync(held, backends);
    }
}
