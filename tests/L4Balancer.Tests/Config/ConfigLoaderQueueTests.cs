using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary>Tenant <c>queue_timeout</c> and <c>max_queue</c>.</summary>
public class ConfigLoaderQueueTests
{
    [Fact]
    public void The_queue_is_off_unless_queue_timeout_is_set()
    {
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).Tenants[0];

        Assert.Equal(TimeSpan.Zero, tenant.QueueTimeout);
        Assert.Equal(0, tenant.MaxQueue);
    }

    [Fact]
    public void Queue_timeout_and_max_queue_are_read()
    {
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            queue_timeout = "30s"
            max_queue = 200
            [[tenant.backend]]
            address = "10.1.0.11:443"
            max_connections = 4
            """).Tenants[0];

        Assert.Equal(TimeSpan.FromSeconds(30), tenant.QueueTimeout);
        Assert.Equal(200, tenant.MaxQueue);
    }

    [Fact]
    public void Max_queue_without_queue_timeout_is_an_error_at_its_line()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            max_queue = 10
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            3, "tenant \"acme\": max_queue applies only with queue_timeout (the queue is off without it)");
    }

    [Fact]
    public void A_negative_max_queue_is_an_error()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            queue_timeout = "5s"
            max_queue = -1
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Contains(errors, e => e.Line == 4 && e.Message.Contains("max_queue", StringComparison.Ordinal));
    }
}
