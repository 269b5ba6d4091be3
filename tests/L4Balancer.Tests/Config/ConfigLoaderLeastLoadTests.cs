using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Time.Testing;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary><c>balance = "least_load"</c> and the <c>[tenant.feedback]</c> it needs.</summary>
public class ConfigLoaderLeastLoadTests
{
    [Fact]
    public void Least_load_without_a_feedback_table_is_an_error_at_the_balance_line()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            retries = 1
            balance = "least_load"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            4, "tenant \"acme\": balance = \"least_load\" needs a [tenant.feedback] table: without load reports it is least_connections");
    }

    [Fact]
    public void Every_tenant_with_least_load_and_no_feedback_is_reported()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            balance = "least_load"
            [[tenant.backend]]
            address = "10.1.0.11:443"

            [[tenant]]
            name = "globex"
            balance = "least_load"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """);

        Assert.Equal([3, 9], errors.Select(e => e.Line ?? 0));
        Assert.All(errors, e => Assert.Contains("needs a [tenant.feedback] table", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Least_load_is_spelled_with_an_underscore()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            balance = "least-load"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            3, "tenant \"acme\": balance must be \"least_connections\", \"round_robin\", \"power_of_two\", \"maglev\" or \"least_load\" (got \"least-load\")");
    }

    [Fact]
    public void Least_load_with_prometheus_feedback_is_valid()
    {
        var config = Load("""
            [[tenant]]
            name = "acme"
            balance = "least_load"
            [tenant.feedback]
            source = "prometheus"
            interval = "2s"
            stale_after = "5s"
            metrics_url = "http://{host}:8000/metrics"
            load = [{ metric = "vllm:num_requests_waiting", weight = 1.0 }, { metric = "vllm:kv_cache_usage_perc", weight = 4.0 }]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);
        var tenant = config.FindTenant("acme")!;

        Assert.Equal(BalanceAlgorithm.LeastLoad, tenant.Balance);
        Assert.Equal(TimeSpan.FromSeconds(5), tenant.Feedback!.StaleAfter);
        Assert.Contains("balance=least_load", ConfigSummary.Format(config), StringComparison.Ordinal);
        var policy = Assert.IsType<LeastLoadPolicy>(LoadBalancingPolicies.Create(tenant, new FakeTimeProvider()));
        Assert.Equal(TimeSpan.FromSeconds(5), policy.StaleAfter);
    }

    [Fact]
    public void Least_load_with_an_agent_is_valid_and_weighs_by_the_agents_weights()
    {
        // An agent reports weights and states, no load figure: least_load is then least connections over
        // the weights it reports (issue 16's benchmark runs least_load with each source).
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            balance = "least_load"
            [tenant.feedback]
            source = "agent"
            agent_port = 9999
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).FindTenant("acme")!;

        Assert.Equal(BalanceAlgorithm.LeastLoad, tenant.Balance);
        Assert.Equal(FeedbackSource.Agent, tenant.Feedback!.Source);
    }

    [Fact]
    public void Feedback_without_least_load_is_valid()
    {
        // Reports feed the status page and an agent's weights and drains with any balance.
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            agent_port = 9999
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).FindTenant("acme")!;

        Assert.Equal(BalanceAlgorithm.LeastConnections, tenant.Balance);
        Assert.NotNull(tenant.Feedback);
    }
}
