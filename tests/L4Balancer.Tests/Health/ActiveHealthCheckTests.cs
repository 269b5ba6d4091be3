using L4Balancer.Core.Config;
using L4Balancer.Core.Routing;

namespace L4Balancer.Tests.Health;

public class ActiveHealthCheckTests
{
    private static readonly HealthConfig Checks = new() { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(2), Rise = 2, Fall = 3 };

    [Fact]
    public void Failing_backend_goes_down_after_fall_checks_and_up_after_rise_checks()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        var b = HealthFixture.Backend(1002);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a, b)]);
        Assert.Equal(1, f.Probe.Calls(1001)); // the first round runs at once
        Assert.True(a.IsUp);

        f.Probe.Set(1001, passes: false);
        f.Time.Advance(Checks.Interval);
        f.Time.Advance(Checks.Interval);
        Assert.True(a.IsUp); // two failures: not yet
        Assert.Equal(2, a.ConsecutiveCheckFailures);

        f.Time.Advance(Checks.Interval); // fall × interval after it started failing
        Assert.False(a.IsUp);
        Assert.False(a.IsAvailable);
        Assert.True(b.IsUp);

        f.Probe.Set(1001, passes: true);
        f.Time.Advance(Checks.Interval);
        Assert.False(a.IsUp); // one pass: not yet
        f.Time.Advance(Checks.Interval);
        Assert.True(a.IsUp);
        Assert.Equal(6, a.HealthChecks);
    }

    [Fact]
    public void A_pass_between_failures_resets_the_count()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);

        foreach (var passes in new[] { false, false, true, false, false })
        {
            f.Probe.Set(1001, passes);
            f.Time.Advance(Checks.Interval);
        }

        Assert.True(a.IsUp);
        f.Time.Advance(Checks.Interval); // third failure in a row
        Assert.False(a.IsUp);
    }

    [Fact]
    public void A_probe_slower_than_the_interval_is_not_doubled()
    {
        using var f = new HealthFixture();
        f.Probe.Hang = true;
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);

        f.Time.Advance(Checks.Interval * 3);

        Assert.Equal(1, f.Probe.Calls(1001));
        Assert.True(a.IsUp); // a check that never answered is not a failure yet
    }

    [Fact]
    public void Same_table_and_backends_keep_their_checker_a_changed_table_retunes_it()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);
        f.Time.Advance(TimeSpan.FromSeconds(3));

        // A reload that changes nothing for this tenant: no restart (a restart runs a round at once).
        f.Monitor.Apply([HealthFixture.Tenant(Checks with { }, a)]);
        Assert.Equal(1, f.Probe.Calls(1001));
        f.Time.Advance(TimeSpan.FromSeconds(2)); // the original phase: 5 s after the first round
        Assert.Equal(2, f.Probe.Calls(1001));

        // A new interval: restarted (a round at once), then every 1 s.
        f.Monitor.Apply([HealthFixture.Tenant(Checks with { Interval = TimeSpan.FromSeconds(1) }, a)]);
        Assert.Equal(3, f.Probe.Calls(1001));
        f.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(5, f.Probe.Calls(1001));
    }

    [Fact]
    public void Probes_carry_the_tenant_proxy_protocol_and_a_changed_mode_retunes_the_checker()
    {
        using var f = new HealthFixture();
        var tenant = HealthFixture.Tenant(Checks, HealthFixture.Backend(1001));
        f.Monitor.Apply([WithProxyProtocol(tenant, ProxyProtocolMode.V2)]);
        Assert.Equal(ProxyProtocolMode.V2, f.Probe.LastProxyProtocol);

        f.Monitor.Apply([WithProxyProtocol(tenant, ProxyProtocolMode.V1)]); // a new checker: a round at once
        Assert.Equal(2, f.Probe.Calls(1001));
        Assert.Equal(ProxyProtocolMode.V1, f.Probe.LastProxyProtocol);
    }

    private static TenantState WithProxyProtocol(TenantState t, ProxyProtocolMode mode) =>
        new(t.Config with { ProxyProtocol = mode }, t.Backends, t.Policy, t.Counters, t.Limits);

    [Fact]
    public void Health_state_lives_on_the_backend_so_a_retuned_checker_continues_the_count()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Probe.Set(1001, passes: false);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]); // failure 1 at once
        f.Time.Advance(Checks.Interval); // 2

        f.Monitor.Apply([HealthFixture.Tenant(Checks with { Timeout = TimeSpan.FromSeconds(1) }, a)]); // restart: 3 at once

        Assert.False(a.IsUp);
    }

    [Fact]
    public void Checks_stop_when_the_tenant_or_its_table_goes()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        var b = HealthFixture.Backend(1002);
        f.Monitor.Apply([HealthFixture.Tenant("x", Checks, a), HealthFixture.Tenant("y", Checks, b)]);
        Assert.Equal(["x", "y"], f.Monitor.CheckedTenants.Order());

        f.Monitor.Apply([HealthFixture.Tenant("y", null, b)]);
        f.Time.Advance(Checks.Interval * 2);

        Assert.Empty(f.Monitor.CheckedTenants);
        Assert.Equal(1, f.Probe.Calls(1001));
        Assert.Equal(1, f.Probe.Calls(1002));
    }

    [Fact]
    public void Backend_down_when_its_table_is_removed_is_retried_after_the_default_interval()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Probe.Set(1001, passes: false);
        f.Monitor.Apply([HealthFixture.Tenant(Checks with { Fall = 1 }, a)]);
        Assert.False(a.IsUp);

        f.Monitor.Apply([HealthFixture.Tenant(null, a)]);
        f.Time.Advance(HealthFixture.PassiveRetry - TimeSpan.FromMilliseconds(1));
        Assert.False(a.IsUp);
        f.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(a.IsUp);
    }

    [Fact]
    public void Dispose_stops_every_check()
    {
        var f = new HealthFixture();
        var a = HealthFixture.Backend(1001);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);
        f.Dispose();

        f.Time.Advance(Checks.Interval * 3);

        Assert.Equal(1, f.Probe.Calls(1001));
    }
}
