using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Runtime;

namespace L4Balancer.Tests.Balancing;

/// <summary>An operator's weight (issue 17, <c>POST …/weight</c>) as the pickers see it, and how long it holds.</summary>
public class WeightOverrideTests
{
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private static BackendConfig Config(int port, int weight = 1) =>
        new() { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Weight = weight };

    private static BalancerConfig Tenant(params BackendConfig[] backends) =>
        new() { Tenants = [new TenantConfig { Name = "t", Backends = backends }] };

    [Fact]
    public void The_operators_weight_replaces_the_configured_one_and_the_configured_one_clears_it()
    {
        var backend = new BackendState("t", Config(1, weight: 4));

        Assert.Equal(4, backend.SetWeightOverride(9)); // the weight in force before
        Assert.Equal(9, backend.WeightOverride);
        Assert.Equal(9, backend.EffectiveWeight);
        Assert.Equal(4, backend.Weight); // the configured one, as the status shows it

        Assert.Equal(9, backend.SetWeightOverride(4));
        Assert.Null(backend.WeightOverride);
        Assert.Equal(4, backend.EffectiveWeight);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(50)]
    [InlineData(200)]
    public void Weight_zero_takes_the_backend_out_whatever_an_agent_says(int? agentPercent)
    {
        var backend = new BackendState("t", Config(1, weight: 4));
        backend.SetAgentLimits(agentPercent, null);

        backend.SetWeightOverride(0);

        Assert.Equal(0, backend.EffectiveWeight);
        Assert.False(backend.IsAvailable);
    }

    [Fact]
    public void An_agents_percentage_scales_the_operators_weight()
    {
        var backend = new BackendState("t", Config(1, weight: 4));
        backend.SetAgentLimits(50, null);

        backend.SetWeightOverride(20);

        Assert.Equal(10, backend.EffectiveWeight);
    }

    [Fact]
    public void A_negative_weight_is_refused()
    {
        var backend = new BackendState("t", Config(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => backend.SetWeightOverride(-1));
    }

    [Fact]
    public void Least_connections_gives_a_backend_connections_in_proportion_to_the_operators_weight()
    {
        var a = new BackendState("t", Config(1));
        var b = new BackendState("t", Config(2));
        b.SetWeightOverride(4);
        var policy = new LeastConnectionsPolicy();

        for (var i = 0; i < 10; i++)
        {
            var picked = policy.Pick([a, b], None)!;
            Assert.True(picked.TryAcquire());
        }

        Assert.Equal(2, a.ActiveConnections);
        Assert.Equal(8, b.ActiveConnections);
    }

    [Fact]
    public void Maglev_moves_only_the_keys_of_a_backend_at_weight_zero()
    {
        BackendConfig[] configs = [Config(1), Config(2), Config(3)];
        var policy = new MaglevPolicy(configs, HashKey.ClientIp, MaglevTableSize.Default, balanceFactor: 0);
        var backends = configs.Select(c => new BackendState("t", c)).ToArray();
        var clients = Enumerable.Range(0, 3000).Select(i => new PickContext(new IPAddress([100, (byte)(i >> 8), (byte)i, 7]), null)).ToArray();
        var before = clients.Select(c => policy.Pick(backends, None, c)!).ToArray();

        backends[1].SetWeightOverride(0);
        var after = clients.Select(c => policy.Pick(backends, None, c)!).ToArray();

        Assert.DoesNotContain(backends[1], after);
        for (var i = 0; i < clients.Length; i++)
        {
            if (before[i] != backends[1])
            {
                Assert.Same(before[i], after[i]); // the table is the config's: every other key stays put
            }
        }
    }

    [Fact]
    public void A_reload_keeps_the_weight_unless_it_changes_the_backends_configured_weight()
    {
        var store = new StateStore();
        var first = SnapshotBuilder.Build(Tenant(Config(1, weight: 2), Config(2, weight: 2)), 1, store, TimeProvider.System);
        store.Commit(first);
        var (a, b) = (first.Tenants["t"].Backends[0], first.Tenants["t"].Backends[1]);
        a.SetWeightOverride(7);
        b.SetWeightOverride(0);

        // Same weights (a new backend added): both kept, nothing to report.
        var second = SnapshotBuilder.Build(Tenant(Config(1, weight: 2), Config(2, weight: 2), Config(3)), 2, store, TimeProvider.System);
        Assert.Empty(store.Commit(second));
        Assert.Equal(7, a.WeightOverride);
        Assert.Equal(0, b.WeightOverride);

        // a's configured weight changes: its override goes (and is reported), b's stays.
        var third = SnapshotBuilder.Build(Tenant(Config(1, weight: 3), Config(2, weight: 2)), 3, store, TimeProvider.System);
        var cleared = Assert.Single(store.Commit(third));
        Assert.Same(a, cleared.Backend);
        Assert.Equal(7, cleared.Cleared);
        Assert.Equal(2, cleared.OldWeight);
        Assert.Null(a.WeightOverride);
        Assert.Equal(3, a.EffectiveWeight);
        Assert.Equal(0, b.WeightOverride);
    }
}
