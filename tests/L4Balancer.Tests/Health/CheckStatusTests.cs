using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Health;

/// <summary>Issue 17: each backend says why it is down (its last check's status and detail) and since when.</summary>
public class CheckStatusTests
{
    private static readonly HealthConfig Checks = new() { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(2), Rise = 2, Fall = 2 };

    [Fact]
    public void The_last_check_says_why_and_the_transition_says_when()
    {
        using var f = new HealthFixture();
        var created = f.Time.GetUtcNow();
        var a = HealthFixture.Backend(1001, f.Time);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);
        Assert.Equal(new CheckResult(CheckStatus.L4OK, "connected"), a.LastCheck);
        Assert.Equal(created, a.LastChange); // never changed: when it was first configured

        f.Probe.Failure = new CheckResult(CheckStatus.L7STS, "HTTP 503 Service Unavailable (expect_status 200-399)");
        f.Probe.Set(1001, passes: false);
        f.Time.Advance(Checks.Interval);
        Assert.True(a.IsUp);
        Assert.Equal(CheckStatus.L7STS, a.LastCheck!.Status); // failing, not down yet: the status already tells
        Assert.Equal(created, a.LastChange);

        f.Time.Advance(Checks.Interval);
        Assert.False(a.IsUp);
        Assert.Equal(f.Probe.Failure, a.LastCheck);
        var wentDown = f.Time.GetUtcNow();
        Assert.Equal(wentDown, a.LastChange);

        f.Time.Advance(Checks.Interval); // still down: no change
        Assert.Equal(wentDown, a.LastChange);

        f.Probe.Set(1001, passes: true);
        f.Time.Advance(Checks.Interval);
        f.Time.Advance(Checks.Interval);
        Assert.True(a.IsUp);
        Assert.Equal(CheckStatus.L4OK, a.LastCheck!.Status);
        Assert.Equal(f.Time.GetUtcNow(), a.LastChange);
    }

    [Fact]
    public void A_passive_mark_down_is_a_layer_4_connect_failure()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Backend(1001, f.Time);
        f.Monitor.Apply([HealthFixture.Tenant(null, a)]);

        for (var i = 0; i < HealthFixture.PassiveRetry.Seconds && a.IsUp; i++)
        {
            a.RecordConnectFailure();
        }

        Assert.False(a.IsUp);
        Assert.Equal(new CheckResult(CheckStatus.L4CON, "3 consecutive connects of client connections failed"), a.LastCheck);
        Assert.Equal(f.Time.GetUtcNow(), a.LastChange);

        f.Time.Advance(HealthFixture.PassiveRetry); // back on probation: the reason no longer applies
        Assert.True(a.IsUp);
        Assert.Null(a.LastCheck);
    }

    [Fact]
    public void An_unresolved_backend_is_down_with_DNS_and_never_probed()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Unresolved("gone.invalid", 443, f.Time);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);

        Assert.False(a.IsResolved);
        Assert.False(a.IsAvailable);
        Assert.True(a.IsUp); // the checks have nothing against it: DNS is its own reason
        Assert.Equal(new CheckResult(CheckStatus.DNS, "gone.invalid does not resolve: Name or service not known"), a.LastCheck);
        Assert.Equal(0, f.Probe.Calls(443));
        Assert.Equal(["gone.invalid"], f.Lookups); // the first round looked it up at once

        f.Time.Advance(Checks.Interval);
        Assert.Equal(2, f.Lookups.Count); // every round
        Assert.Equal(0, f.Probe.Calls(443));
        Assert.Equal(0, a.HealthChecks);
    }

    [Fact]
    public void A_health_round_resolves_it_and_checks_it_at_once()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Unresolved("late.invalid", 1443, f.Time);
        f.Monitor.Apply([HealthFixture.Tenant(Checks, a)]);
        Assert.False(a.IsAvailable);

        f.Dns["late.invalid"] = IPAddress.Parse("127.0.0.9");
        f.Time.Advance(Checks.Interval);

        Assert.True(a.IsResolved);
        Assert.True(a.IsAvailable); // up at once, as HAProxy's "start OK but check immediately"
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.9"), 1443), a.EndPoint);
        Assert.Equal(1, f.Probe.Calls(1443)); // checked in the same round
        Assert.Equal(CheckStatus.L4OK, a.LastCheck!.Status);
        Assert.Equal(f.Time.GetUtcNow(), a.LastChange);
    }

    [Fact]
    public void Without_active_checks_it_is_looked_up_every_resolve_interval()
    {
        using var f = new HealthFixture();
        var a = HealthFixture.Unresolved("late.invalid", 443, f.Time);
        f.Monitor.Apply([HealthFixture.Tenant(null, a)], resolveInterval: TimeSpan.FromSeconds(10));
        Assert.Empty(f.Lookups); // the load has just looked it up

        f.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(f.Lookups);
        Assert.False(a.IsResolved);

        f.Dns["late.invalid"] = IPAddress.Parse("10.0.0.7");
        f.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(a.IsResolved);
        f.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(a.IsResolved);
        Assert.True(a.IsAvailable);
        Assert.Null(a.LastCheck); // DNS no longer applies, and nothing checked it since
    }

    [Fact]
    public void A_reload_that_loses_the_name_takes_the_backend_down_and_one_that_finds_it_brings_it_back()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var resolved = new BackendConfig { Address = "api.internal:443", EndPoint = IPEndPoint.Parse("10.0.0.7:443"), Host = "api.internal", Port = 443 };
        var a = new BackendState("t", resolved, time);
        Assert.True(a.IsAvailable);

        time.Advance(TimeSpan.FromSeconds(1));
        a.UpdateConfig(resolved with { EndPoint = null, ResolveError = "no answer within 5 s" });
        Assert.False(a.IsAvailable);
        Assert.Equal(new CheckResult(CheckStatus.DNS, "api.internal does not resolve: no answer within 5 s"), a.LastCheck);
        Assert.Equal(time.GetUtcNow(), a.LastChange);

        time.Advance(TimeSpan.FromSeconds(1));
        a.UpdateConfig(resolved with { EndPoint = IPEndPoint.Parse("10.0.0.8:443") });
        Assert.True(a.IsAvailable);
        Assert.Equal(IPEndPoint.Parse("10.0.0.8:443"), a.EndPoint);
        Assert.Null(a.LastCheck);
        Assert.Equal(time.GetUtcNow(), a.LastChange);
    }
}
