using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using L4Balancer.Tests.Config;

namespace L4Balancer.Tests.Limits;

/// <summary>
/// The descriptor budget (issue 11, defect 2): what is reserved, what is left for connections at two
/// descriptors each, and how it caps <c>global.max_connections</c> in admission.
/// </summary>
public class DescriptorBudgetTests
{
    private const string TwoListenersAdminThreeBackends = """
        [admin]
        listen = "127.0.0.1:9900"
        token = "t"

        [[listener]]
        name = "a"
        bind = "127.0.0.1:8080"
        tenant = "t1"

        [[listener]]
        name = "b"
        bind = "127.0.0.1:8081"
        tenant = "t2"

        [[tenant]]
        name = "t1"
        [[tenant.backend]]
        address = "10.0.0.1:80"
        [[tenant.backend]]
        address = "10.0.0.2:80"

        [[tenant]]
        name = "t2"
        [[tenant.backend]]
        address = "10.0.0.1:80"
        """;

    [Fact]
    public void The_reserve_is_the_runtime_base_plus_listeners_the_admin_endpoint_and_one_per_backend()
    {
        var config = ConfigTestHelper.Load(TwoListenersAdminThreeBackends);

        // 448 runtime (64 of them spares) + 2 listeners + (1 admin socket + 64 admin connections) + 3 backends (the one shared by two tenants is probed twice).
        Assert.Equal(448 + 2 + 65 + 3, DescriptorBudget.ReserveFor(config));
        Assert.Equal(DescriptorBudget.RuntimeReserve + 1 + 1, DescriptorBudget.ReserveFor(new BalancerConfig
        {
            Listeners = [new ListenerConfig { Name = "a", Bind = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), Tenant = "t" }],
            Tenants = [new TenantConfig { Name = "t", Backends = [new BackendConfig { Address = "10.0.0.1:80", EndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.1"), 80) }] }],
        }));
    }

    [Theory]
    [InlineData(20_000L, 518, 9_741)]   // this machine's ulimit -n: (20000 - 518) / 2
    [InlineData(1_048_576L, 518, 524_029)] // the systemd unit's LimitNOFILE
    [InlineData(1_000L, 518, 241)]
    [InlineData(519L, 518, 1)]           // one descriptor left: still one connection, never 0 ("unlimited")
    [InlineData(100L, 518, 1)]           // a limit below the reserve
    [InlineData(long.MaxValue, 518, int.MaxValue)] // RLIM_INFINITY
    public void Connections_get_what_the_reserve_leaves_at_two_descriptors_each(long limit, int reserved, int maxConnections)
    {
        var figures = DescriptorBudget.Compute(limit, ConfigTestHelper.Load(TwoListenersAdminThreeBackends));
        Assert.Equal(new DescriptorFigures(limit, reserved, maxConnections), figures);
    }

    [Theory]
    [InlineData(0, 9_741)]       // unlimited by config: the budget
    [InlineData(50_000, 9_741)]  // more than the descriptors can hold: the budget
    [InlineData(500, 500)]       // a configured limit that fits stands
    [InlineData(9_741, 9_741)]
    public void The_effective_limit_is_the_configured_one_capped_by_the_budget(int configured, int effective)
    {
        var budget = new DescriptorBudget();
        Assert.Equal(configured, budget.Limit(configured)); // unknown descriptor limit: only the config counts
        Assert.True(budget.Update(DescriptorBudget.Compute(20_000, ConfigTestHelper.Load(TwoListenersAdminThreeBackends))));
        Assert.Equal(effective, budget.Limit(configured));
    }

    [Fact]
    public void Update_says_whether_the_figures_changed()
    {
        var config = ConfigTestHelper.Load(TwoListenersAdminThreeBackends);
        var budget = new DescriptorBudget();
        Assert.True(budget.Update(DescriptorBudget.Compute(1000, config)));
        Assert.False(budget.Update(DescriptorBudget.Compute(1000, config)));
        Assert.True(budget.Update(DescriptorBudget.Compute(900, config))); // prlimit --pid lowered it
        Assert.Equal(191, budget.Current!.MaxConnections);
    }

    [Fact]
    public void Admission_refuses_at_the_budget_with_global_limit_when_max_connections_is_0()
    {
        var global = new GlobalLimitState();
        global.Descriptors.Update(new DescriptorFigures(524, 518, 3));
        var config = new GlobalConfig { MaxConnections = 0 };
        var admitted = Enumerable.Range(0, 3).Select(_ => new Admission(global, null)).ToList();
        Assert.All(admitted, a => Assert.Equal(CloseReason.None, a.EnterProcess(config)));

        var refused = new Admission(global, null);
        Assert.Equal(CloseReason.GlobalLimit, refused.EnterProcess(config));
        refused.ReleaseAll();

        admitted[0].ReleaseAll();
        Assert.Equal(CloseReason.None, new Admission(global, null).EnterProcess(config)); // a closed connection frees its slot
    }
}
