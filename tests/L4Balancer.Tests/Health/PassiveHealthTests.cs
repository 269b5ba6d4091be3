using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Health;

public class PassiveHealthTests
{
    [Fact]
    public void Fall_consecutive_connect_failures_mark_down_and_a_retry_after_the_interval_brings_it_back()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(null, a)]); // no [tenant.health]: fall 3, retry after 5 s
        Assert.Empty(f.Monitor.CheckedTenants);

        a.RecordConnectFailure();
        a.RecordConnectFailure();
        Assert.True(a.IsUp);
        a.RecordConnectFailure();
        Assert.False(a.IsUp);
        Assert.False(a.IsAvailable);

        f.Time.Advance(HealthFixture.PassiveRetry - TimeSpan.FromMilliseconds(1));
        Assert.False(a.IsUp);
        f.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(a.IsUp);
        Assert.Equal(0, f.Probe.Calls(1001)); // passive means no probes of our own
    }

    [Fact]
    public void A_retried_backend_is_on_probation_one_failure_marks_it_down_again_one_success_clears_it()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(null, a)]);
        for (var i = 0; i < 3; i++)
        {
            a.RecordConnectFailure();
        }

        f.Time.Advance(HealthFixture.PassiveRetry);
        Assert.True(a.IsUp);
        a.RecordConnectFailure();
        Assert.False(a.IsUp); // still dead: down again at once, for another interval

        f.Time.Advance(HealthFixture.PassiveRetry);
        Assert.True(a.IsUp);
        a.RecordConnectSuccess();
        a.RecordConnectFailure();
        a.RecordConnectFailure();
        Assert.True(a.IsUp); // recovered: a fresh count of fall
    }

    [Fact]
    public void A_success_between_failures_resets_the_count()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(null, a)]);

        a.RecordConnectFailure();
        a.RecordConnectFailure();
        a.RecordConnectSuccess();
        a.RecordConnectFailure();
        a.RecordConnectFailure();

        Assert.True(a.IsUp);
        Assert.Equal(4, a.ConnectFailures);
    }

    [Fact]
    public void With_active_checks_a_passively_downed_backend_needs_rise_passing_checks_not_a_timed_retry()
    {
        using var f = new HealthFixture();
        var checks = new HealthConfig { Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(1), Rise = 2, Fall = 2 };
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(checks, a)]); // checks pass all along (the first one now)

        a.RecordConnectFailure();
        a.RecordConnectFailure(); // the tenant's fall (2), not the default 3
        Assert.False(a.IsUp);

        f.Time.Advance(checks.Interval);
        Assert.False(a.IsUp); // passes from before the outage do not count: one pass since
        f.Time.Advance(checks.Interval);
        Assert.True(a.IsUp);
    }

    [Fact]
    public void With_active_checks_failing_there_is_no_timed_retry()
    {
        using var f = new HealthFixture();
        var checks = new HealthConfig { Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(1), Rise = 1, Fall = 5 };
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(checks, a)]);
        f.Probe.Set(1001, passes: false);
        for (var i = 0; i < 5; i++)
        {
            a.RecordConnectFailure();
        }

        f.Time.Advance(checks.Interval * 3);

        Assert.False(a.IsUp);
    }

    [Fact]
    public void Without_a_monitor_connect_failures_only_count()
    {
        var a = HealthFixture.Backend(1001);
        for (var i = 0; i < 10; i++)
        {
            a.RecordConnectFailure();
        }

        Assert.True(a.IsUp);
        Assert.Equal(10, a.ConsecutiveFailures);
    }
}
