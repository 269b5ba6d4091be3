using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Balancing;

public class PolicyTests
{
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private static BackendState Backend(int port, int weight = 1, int max = 0) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Weight = weight, MaxConnections = max });

    private static void Open(BackendState backend, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(backend.TryAcquire());
        }
    }

    [Fact]
    public void Least_connections_picks_lowest_active_per_weight()
    {
        var a = Backend(1, weight: 1);
        var b = Backend(2, weight: 4);
        Open(a, 2);
        Open(b, 6); // 6/4 = 1.5 < 2/1
        var policy = new LeastConnectionsPolicy();

        for (var i = 0; i < 10; i++)
        {
            Assert.Same(b, policy.Pick([a, b], None));
        }
    }

    [Fact]
    public void Least_connections_rotates_ties_instead_of_taking_list_order()
    {
        BackendState[] backends = [Backend(1), Backend(2), Backend(3)];
        var policy = new LeastConnectionsPolicy();

        var picked = Enumerable.Range(0, 30).Select(_ => policy.Pick(backends, None)!).ToList();

        // All idle: every backend gets an equal share of picks, not just the first.
        foreach (var backend in backends)
        {
            Assert.Equal(10, picked.Count(p => p == backend));
        }
    }

    [Fact]
    public void Policies_skip_down_draining_full_and_excluded_backends()
    {
        var down = Backend(1);
        down.SetUp(false);
        var draining = Backend(2);
        draining.SetDraining(true);
        var full = Backend(3, max: 1);
        Open(full, 1);
        var excluded = Backend(4);
        var ok = Backend(5);
        BackendState[] all = [down, draining, full, excluded, ok];

        foreach (var policy in new ILoadBalancingPolicy[] { new LeastConnectionsPolicy(), new RoundRobinPolicy(), new PowerOfTwoChoicesPolicy(new Random(1)) })
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Same(ok, policy.Pick(all, [excluded]));
            }

            Assert.Null(policy.Pick([down, draining, full], None));
            Assert.Null(policy.Pick([], None));
        }
    }

    [Fact]
    public void Round_robin_is_smooth_and_weighted()
    {
        var a = Backend(1, weight: 5);
        var b = Backend(2, weight: 1);
        var c = Backend(3, weight: 1);
        var policy = new RoundRobinPolicy();

        var sequence = string.Concat(Enumerable.Range(0, 7).Select(_ => policy.Pick([a, b, c], None) switch
        {
            var p when p == a => "a",
            var p when p == b => "b",
            _ => "c",
        }));

        // nginx's smooth weighted round robin for 5,1,1.
        Assert.Equal("aabacaa", sequence);
    }

    [Fact]
    public void Power_of_two_prefers_the_less_loaded_of_its_draw()
    {
        var busy = Backend(1);
        Open(busy, 10);
        var idle = Backend(2);
        var policy = new PowerOfTwoChoicesPolicy(new Random(7));

        // With two backends both are always drawn, so the idle one always wins.
        for (var i = 0; i < 20; i++)
        {
            Assert.Same(idle, policy.Pick([busy, idle], None));
        }
    }

    [Fact]
    public async Task TryAcquire_never_exceeds_max_connections_under_contention()
    {
        var backend = Backend(1, max: 5);
        var admitted = 0;
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 200).Select(_ => Task.Run(() =>
        {
            start.Wait();
            if (backend.TryAcquire())
            {
                Interlocked.Increment(ref admitted);
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(tasks);

        Assert.Equal(5, admitted);
        Assert.Equal(5, backend.ActiveConnections);
    }
}
