using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Balancing;

/// <summary><c>balance = "least_load"</c>: the score <c>(active + fresh load) / weight</c> and its fallbacks.</summary>
public class LeastLoadPolicyTests
{
    private static readonly IReadOnlyCollection<BackendState> None = [];
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(3);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    private LeastLoadPolicy Policy() => new(_time, StaleAfter);

    private static BackendState Backend(int port, int weight = 1, int max = 0) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Weight = weight, MaxConnections = max });

    private static void SetActive(BackendState backend, int count)
    {
        while (backend.ActiveConnections < count)
        {
            Assert.True(backend.TryAcquire());
        }

        while (backend.ActiveConnections > count)
        {
            backend.Release();
        }
    }

    private void Report(BackendState backend, double? load) =>
        backend.SetReport(new BackendReport(_time.GetTimestamp(), load, null, null, AgentState.None, null));

    private List<BackendState> Picks(ILoadBalancingPolicy policy, IReadOnlyList<BackendState> backends, int count) =>
        Enumerable.Range(0, count).Select(_ => policy.Pick(backends, None)!).ToList();

    [Fact]
    public void Reported_load_counts_as_open_connections()
    {
        var a = Backend(1);
        var b = Backend(2);
        SetActive(a, 2);
        Report(b, 3); // b: 0 + 3 = 3 > a: 2 + 0
        var policy = Policy();

        Assert.All(Picks(policy, [a, b], 10), p => Assert.Same(a, p));

        Report(b, 1.5); // b: 1.5 < 2
        Assert.All(Picks(policy, [a, b], 10), p => Assert.Same(b, p));
    }

    [Fact]
    public void Connections_and_load_are_divided_by_the_weight()
    {
        var light = Backend(1, weight: 1);
        var heavy = Backend(2, weight: 4);
        SetActive(light, 1); // 1 / 1
        SetActive(heavy, 2);
        Report(heavy, 3); // (2 + 3) / 4 = 1.25
        var policy = Policy();

        Assert.Same(light, policy.Pick([light, heavy], None));

        Report(heavy, 1); // (2 + 1) / 4 = 0.75
        Assert.Same(heavy, policy.Pick([light, heavy], None));

        Report(light, 0.5); // light: 1.5 / 1 against 0.75
        Report(heavy, 3.5); // heavy: 5.5 / 4 = 1.375
        Assert.Same(heavy, policy.Pick([light, heavy], None));
    }

    [Fact]
    public void A_report_counts_until_stale_after_and_then_the_backend_is_on_least_connections()
    {
        var busy = Backend(1);
        var queued = Backend(2);
        SetActive(busy, 2);
        Report(queued, 10);
        var policy = Policy();

        Assert.Same(busy, policy.Pick([busy, queued], None));

        _time.Advance(StaleAfter); // exactly stale_after old: still fresh ("older than" is stale)
        Assert.Same(busy, policy.Pick([busy, queued], None));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.All(Picks(policy, [busy, queued], 10), p => Assert.Same(queued, p)); // 0 < 2 connections

        Report(queued, 10); // a new report is fresh again
        Assert.Same(busy, policy.Pick([busy, queued], None));
    }

    [Fact]
    public void A_stale_or_failing_backend_falls_back_alone_while_the_others_keep_their_load()
    {
        var failing = Backend(1);
        var fresh = Backend(2);
        var stale = Backend(3);
        var silent = Backend(4);
        Report(stale, 100);
        _time.Advance(StaleAfter + TimeSpan.FromSeconds(1));
        Report(failing, null); // a failed poll: a report without a load
        Report(fresh, 4);
        SetActive(failing, 3);
        SetActive(fresh, 0); // 0 + 4
        SetActive(stale, 5); // 5, its load of 100 forgotten
        SetActive(silent, 6); // never reported: 6
        var policy = Policy();

        Assert.Same(failing, policy.Pick([failing, fresh, stale, silent], None));

        SetActive(failing, 5);
        Assert.Same(fresh, policy.Pick([failing, fresh, stale, silent], None));

        Report(fresh, 5.5);
        Assert.Same(stale, policy.Pick([failing, fresh, stale, silent], [failing])); // stale 5 < fresh 5.5
    }

    /// <summary>
    /// The rule: a fleet whose reports are all stale behaves exactly as least_connections. Both
    /// policies see the same random states (connections, weights, full and excluded backends, big stale
    /// loads) for thousands of picks, so rotation and tie-breaking must match too, not just the winner's score.
    /// </summary>
    [Theory]
    [InlineData("stale")]
    [InlineData("zero")]
    [InlineData("no load")]
    [InlineData("never")]
    public void Without_fresh_load_every_pick_is_least_connections_pick(string reports)
    {
        var random = new Random(16);
        var backends = Enumerable.Range(1, 7).Select(i => Backend(i, weight: 1 + random.Next(4), max: i % 3 == 0 ? 4 : 0)).ToArray();
        var leastLoad = Policy();
        var leastConnections = new LeastConnectionsPolicy();
        var differentWinners = 0;

        for (var pick = 0; pick < 5000; pick++)
        {
            foreach (var backend in backends)
            {
                // Small counts so that ties (the rotation's business) are common.
                SetActive(backend, random.Next(backend.Config.MaxConnections is 0 ? 5 : backend.Config.MaxConnections + 1));
                switch (reports)
                {
                    case "stale":
                        backend.SetReport(new BackendReport(_time.GetTimestamp() - (long)(4 * _time.TimestampFrequency), random.Next(1, 1000), null, null, AgentState.None, null));
                        break;
                    case "zero":
                        Report(backend, random.Next(3) switch { 0 => 0.0, 1 => -1.0, _ => double.NaN });
                        break;
                    case "no load":
                        Report(backend, null);
                        break;
                }
            }

            IReadOnlyCollection<BackendState> exclude = random.Next(4) == 0 ? [backends[random.Next(backends.Length)]] : None;
            var expected = leastConnections.Pick(backends, exclude);
            Assert.Same(expected, leastLoad.Pick(backends, exclude));

            var byScore = backends.Where(b => b.IsAvailable && !exclude.Contains(b)).MinBy(b => (double)b.ActiveConnections / b.Weight);
            if (byScore != expected)
            {
                differentWinners++; // a tie broken by the rotation rather than by list order
            }
        }

        Assert.True(differentWinners > 100, $"the states exercised the rotation only {differentWinners} times");
    }

    [Fact]
    public void Equal_scores_rotate_instead_of_taking_list_order()
    {
        BackendState[] backends = [Backend(1), Backend(2), Backend(3)];
        SetActive(backends[0], 2); // 2 + 1 = 3
        Report(backends[0], 1);
        Report(backends[1], 3); // 0 + 3
        SetActive(backends[2], 1); // 1 + 2
        Report(backends[2], 2);
        var policy = Policy();

        var picked = Picks(policy, backends, 30);

        foreach (var backend in backends)
        {
            Assert.Equal(10, picked.Count(p => p == backend));
        }
    }

    [Fact]
    public void A_deep_queue_gets_few_connections_not_none()
    {
        BackendState[] backends = [Backend(1), Backend(2), Backend(3)];
        var deep = backends[1];
        Report(deep, 10);
        var policy = Policy();

        // Held connections, as streams would be: each pick raises the picked backend's score.
        var picked = new List<BackendState>();
        for (var i = 0; i < 40; i++)
        {
            var backend = policy.Pick(backends, None)!;
            Assert.True(backend.TryAcquire());
            picked.Add(backend);
        }

        // Nothing until the others reach its load, then 40 + 10 units of work shared evenly (the README's
        // 17/7/16: scores 17, 17, 16).
        Assert.DoesNotContain(deep, picked.Take(20));
        Assert.Equal(7, deep.ActiveConnections);
        Assert.Equal(17, backends[0].ActiveConnections);
        Assert.Equal(16, backends[2].ActiveConnections);
    }

    [Theory]
    [InlineData(1e6)]
    [InlineData(1e300)]
    [InlineData(double.PositiveInfinity)]
    public void Load_never_takes_a_backend_out(double load)
    {
        var down = Backend(1);
        down.SetUp(false);
        var full = Backend(2, max: 1);
        SetActive(full, 1);
        var excluded = Backend(3);
        var loaded = Backend(4);
        Report(loaded, load);
        var idle = Backend(5);
        var policy = Policy();

        Assert.Same(idle, policy.Pick([down, full, excluded, loaded, idle], [excluded]));
        Assert.Same(loaded, policy.Pick([down, full, excluded, loaded, idle], [excluded, idle]));

        // And it still compares as a number: more connections on the loaded one is worse than fewer.
        var other = Backend(6);
        Report(other, load);
        SetActive(loaded, 1);
        Assert.Same(other, policy.Pick([loaded, other], None));
    }

    [Fact]
    public void Down_draining_full_and_excluded_backends_are_skipped_however_light()
    {
        var down = Backend(1);
        down.SetUp(false);
        var draining = Backend(2);
        draining.SetDraining(true);
        var agentDrained = Backend(3);
        agentDrained.SetAgentDraining(true);
        var full = Backend(4, max: 2);
        SetActive(full, 2);
        var excluded = Backend(5);
        var busy = Backend(6);
        SetActive(busy, 50);
        Report(busy, 50);
        foreach (var light in new[] { down, draining, agentDrained, excluded })
        {
            Report(light, 0);
        }

        var policy = Policy();
        BackendState[] all = [down, draining, agentDrained, full, excluded, busy];

        for (var i = 0; i < 12; i++)
        {
            Assert.Same(busy, policy.Pick(all, [excluded]));
        }

        Assert.Null(policy.Pick([down, draining, agentDrained, full], None));
        Assert.Null(policy.Pick([busy], [busy]));
        Assert.Null(policy.Pick([], None));
    }

    [Fact]
    public void The_score_is_monotone_in_connections_and_load()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            long active = random.Next(1000);
            var load = random.NextDouble() * 100;
            long weight = 1 + random.Next(100);

            // One more connection, or more load, never makes a backend look lighter than it was.
            Assert.False(LeastLoadPolicy.Lower(active + 1, load, weight, active, load, weight));
            Assert.False(LeastLoadPolicy.Lower(active, load + random.NextDouble() * 10, weight, active, load, weight));
            Assert.True(LeastLoadPolicy.Lower(active, load, weight, active + 1, load, weight));
            Assert.True(LeastLoadPolicy.Lower(active, load, weight, active, load + 0.5, weight));
        }

        // Without load it is least connections' exact integer comparison, even where doubles would round:
        // M/(M-1) < (M-1)/(M-2), but the cross products M(M-2) and (M-1)^2 differ by 1 near 2^62.
        const long m = int.MaxValue;
        Assert.True(LeastLoadPolicy.Lower(m, 0, m - 1, m - 1, 0, m - 2));
        Assert.False(LeastLoadPolicy.Lower(m - 1, 0, m - 2, m, 0, m - 1));
        Assert.Equal((double)(m * (m - 2)), (double)((m - 1) * (m - 1))); // what doubles would have compared
    }

    /// <summary>Stopwatch timestamps on Linux are nanoseconds, not TimeSpan ticks: stale_after is converted once.</summary>
    [Theory]
    [InlineData(1_000_000_000L)]
    [InlineData(1_000L)]
    public void Staleness_is_measured_in_the_clocks_own_timestamp_units(long frequency)
    {
        var clock = new ManualClock(frequency);
        var policy = new LeastLoadPolicy(clock, TimeSpan.FromSeconds(3));
        var report = new BackendReport(clock.GetTimestamp(), 5, null, null, AgentState.None, null);

        clock.Now += 3 * frequency;
        Assert.Equal(5, policy.FreshLoad(report, clock.GetTimestamp()));
        clock.Now += 1;
        Assert.Equal(0, policy.FreshLoad(report, clock.GetTimestamp()));
        Assert.Equal(5, new LeastLoadPolicy(clock, TimeSpan.MaxValue).FreshLoad(report, clock.GetTimestamp())); // no overflow into "always stale"
    }

    private sealed class ManualClock(long frequency) : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long TimestampFrequency => frequency;

        public override long GetTimestamp() => Now;
    }

    [Fact]
    public void Negative_and_nan_loads_count_as_none()
    {
        var policy = Policy();
        var now = _time.GetTimestamp();

        Assert.Equal(0, policy.FreshLoad(new BackendReport(now, -5, null, null, AgentState.None, null), now));
        Assert.Equal(0, policy.FreshLoad(new BackendReport(now, double.NaN, null, null, AgentState.None, null), now));
        Assert.Equal(0, policy.FreshLoad(new BackendReport(now, null, 75, null, AgentState.Up, "agent"), now));
        Assert.Equal(0, policy.FreshLoad(null, now));
        Assert.Equal(2.5, policy.FreshLoad(new BackendReport(now, 2.5, null, null, AgentState.None, null), now));
        Assert.Equal(LeastLoadPolicy.MaxLoad, policy.FreshLoad(new BackendReport(now, double.PositiveInfinity, null, null, AgentState.None, null), now));
    }

    [Fact]
    public void The_factory_builds_it_with_the_tenants_stale_after()
    {
        var tenant = new TenantConfig
        {
            Name = "acme",
            Balance = BalanceAlgorithm.LeastLoad,
            Feedback = new FeedbackConfig { Source = FeedbackSource.Prometheus, StaleAfter = TimeSpan.FromSeconds(7) },
        };

        var policy = Assert.IsType<LeastLoadPolicy>(LoadBalancingPolicies.Create(tenant, _time));

        Assert.Equal(TimeSpan.FromSeconds(7), policy.StaleAfter);
    }

    [Fact]
    public void The_factorys_clock_decides_staleness()
    {
        var tenant = new TenantConfig
        {
            Name = "acme",
            Balance = BalanceAlgorithm.LeastLoad,
            Feedback = new FeedbackConfig { Source = FeedbackSource.Prometheus, StaleAfter = TimeSpan.FromSeconds(2) },
        };
        var policy = LoadBalancingPolicies.Create(tenant, _time);
        var idle = Backend(1);
        var queued = Backend(2);
        SetActive(idle, 1);
        Report(queued, 5);

        Assert.Same(idle, policy.Pick([idle, queued], None));
        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Same(queued, policy.Pick([idle, queued], None));
    }
}
