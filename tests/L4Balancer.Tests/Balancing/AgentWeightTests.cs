using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Balancing;

/// <summary>An agent's weight% and maxconn (issue 16) as every policy and the connection gate see them.</summary>
public class AgentWeightTests
{
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private static BackendState Backend(int port, int weight = 1, int max = 0) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Weight = weight, MaxConnections = max });

    [Theory]
    [InlineData(10, null, 10)]
    [InlineData(10, 50, 5)]
    [InlineData(10, 100, 10)]
    [InlineData(10, 0, 0)]
    [InlineData(1, 50, 1)] // HAProxy would truncate to 0, a drain nobody asked for
    [InlineData(1, 149, 1)]
    [InlineData(1, 150, 2)] // rounded to the nearest
    [InlineData(3, 67, 2)]
    [InlineData(10, 25600, 256)] // HAProxy's largest weight
    [InlineData(1000, 200, 1000)] // ... or the configured weight, when larger
    [InlineData(10, 99999, 256)] // clamped at 25600 % first
    public void Effective_weight(int weight, int? percent, int effective)
    {
        var backend = Backend(1, weight);
        backend.SetAgentLimits(percent, null);

        Assert.Equal(effective, backend.EffectiveWeight);
        Assert.Equal(weight, backend.Weight);
        Assert.Equal(effective > 0, backend.IsAvailable);
    }

    [Theory]
    [InlineData(0, null, 0)]
    [InlineData(0, 5, 5)]
    [InlineData(10, 5, 5)]
    [InlineData(5, 10, 5)] // the agent only lowers the configured cap
    [InlineData(10, 0, 10)] // maxconn:0 is no limit, as in HAProxy
    public void Effective_max_connections(int configured, int? agent, int effective)
    {
        var backend = Backend(1, max: configured);
        backend.SetAgentLimits(null, agent);

        Assert.Equal(effective, backend.EffectiveMaxConnections);
    }

    [Fact]
    public void The_gate_holds_the_agent_maxconn()
    {
        var backend = Backend(1, max: 10);
        backend.SetAgentLimits(null, 2);

        Assert.True(backend.TryAcquire());
        Assert.True(backend.TryAcquire());
        Assert.False(backend.IsAvailable);
        Assert.False(backend.TryAcquire());

        backend.SetAgentLimits(null, null); // the report went stale
        Assert.True(backend.IsAvailable);
        Assert.True(backend.TryAcquire());
    }

    [Fact]
    public void Agent_drain_and_down_keep_a_backend_out_apart_from_the_operator_and_the_checks()
    {
        var backend = Backend(1);
        backend.SetAgentDraining(true);
        Assert.False(backend.IsAvailable);
        Assert.False(backend.IsDraining);

        backend.SetDraining(true);
        backend.SetAgentDraining(false);
        Assert.False(backend.IsAvailable); // the operator's drain stands

        backend.SetDraining(false);
        backend.SetAgentDown(true);
        Assert.True(backend.IsUp);
        Assert.False(backend.IsAvailable);
        backend.SetAgentDown(false);
        Assert.True(backend.IsAvailable);
    }

    [Fact]
    public void Least_connections_uses_the_agent_weight()
    {
        var a = Backend(1, weight: 10);
        var b = Backend(2, weight: 10);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(a.TryAcquire());
        }

        Assert.True(b.TryAcquire());
        Assert.True(b.TryAcquire());
        b.SetAgentLimits(20, null); // 2/2 > 4/10

        Assert.Same(a, new LeastConnectionsPolicy().Pick([a, b], None));
    }

    [Fact]
    public void Round_robin_shares_by_the_agent_weight()
    {
        var a = Backend(1, weight: 1);
        var b = Backend(2, weight: 1);
        a.SetAgentLimits(300, null);
        var policy = new RoundRobinPolicy();

        var picks = Enumerable.Range(0, 40).Select(_ => policy.Pick([a, b], None)).ToList();

        Assert.Equal(30, picks.Count(p => p == a));
        Assert.Equal(10, picks.Count(p => p == b));
    }

    [Fact]
    public void Power_of_two_uses_the_agent_weight_and_skips_zero()
    {
        var a = Backend(1, weight: 1);
        var b = Backend(2, weight: 1);
        a.SetAgentLimits(0, null);
        var policy = new PowerOfTwoChoicesPolicy(new Random(3));

        for (var i = 0; i < 20; i++)
        {
            Assert.Same(b, policy.Pick([a, b], None));
        }
    }

    [Fact]
    public void Every_policy_skips_a_backend_the_agent_drained()
    {
        var a = Backend(1);
        var b = Backend(2);
        a.SetAgentDraining(true);
        var maglev = new MaglevPolicy([a.Config, b.Config], HashKey.ClientIp, 251, 0);
        foreach (var policy in new ILoadBalancingPolicy[] { new LeastConnectionsPolicy(), new RoundRobinPolicy(), new PowerOfTwoChoicesPolicy(new Random(1)), maglev })
        {
            for (var i = 0; i < 10; i++)
            {
                Assert.Same(b, policy.Pick([a, b], None, new PickContext(IPAddress.Parse($"10.0.0.{i + 1}"), null)));
            }
        }
    }
}
