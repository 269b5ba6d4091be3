using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Limits;

/// <summary>Admission under a fleet share (<c>[cluster]</c>): what each mode lets in, and the demand it reports.</summary>
public class FleetShareTests
{
    private readonly GlobalLimitState _global = new();
    private readonly FakeTimeProvider _time = new();

    private CloseReason Enter(TenantConfig config, TenantLimitState limits, out Admission admission)
    {
        admission = new Admission(_global, IPAddress.Parse("192.0.2.1"));
        return admission.EnterTenant(config, limits, _time);
    }

    private int Admitted(TenantConfig config, TenantLimitState limits, int attempts)
    {
        var admitted = 0;
        for (var i = 0; i < attempts; i++)
        {
            admitted += Enter(config, limits, out _) == CloseReason.None ? 1 : 0;
        }

        return admitted;
    }

    [Fact]
    public void Without_a_cluster_the_configured_limit_applies_and_no_demand_is_counted()
    {
        var limits = new TenantLimitState();
        Assert.Equal(FleetShareMode.Local, limits.Fleet.Mode);
        Assert.Equal(3, Admitted(new TenantConfig { Name = "t", MaxConnections = 3 }, limits, 5));
        Assert.Equal((0, 0L), limits.Fleet.TakeDemand());
    }

    [Fact]
    public void A_lease_caps_the_tenant_at_its_share_and_counts_refusals_as_demand()
    {
        var limits = new TenantLimitState();
        limits.Fleet.SetLease(cap: 4, rate: -1, instances: 3);

        Assert.Equal(4, Admitted(new TenantConfig { Name = "t", MaxConnections = 30 }, limits, 10));
        Assert.Equal(6, limits.Fleet.TakeDemand().Refused);
        Assert.Equal(0, limits.Fleet.TakeDemand().Refused); // taken once per sync
    }

    [Fact]
    public void A_lease_of_zero_admits_nothing_rather_than_everything()
    {
        // ConcurrencyGate reads a limit of 0 as unlimited: the fleet's zero must not reach it.
        var limits = new TenantLimitState();
        limits.Fleet.SetLease(cap: 0, rate: -1, instances: 3);
        Assert.Equal(0, Admitted(new TenantConfig { Name = "t", MaxConnections = 30 }, limits, 5));
    }

    [Theory]
    [InlineData("LocalShare", 4)] // ceil(10 / 3)
    [InlineData("Open", 20)]
    [InlineData("Closed", 0)]
    public void Each_fallback_mode_admits_what_its_policy_says(string modeName, int expected)
    {
        var limits = new TenantLimitState();
        limits.Fleet.SetFallback(Enum.Parse<FleetShareMode>(modeName), instances: 3);
        Assert.Equal(expected, Admitted(new TenantConfig { Name = "t", MaxConnections = 10 }, limits, 20));
    }

    [Fact]
    public void A_rate_share_paces_new_connections_at_the_fraction_and_keeps_a_two_token_burst()
    {
        var limits = new TenantLimitState();
        var config = new TenantConfig { Name = "t", ConnectionRate = 30, ConnectionBurst = 3 };
        limits.Fleet.SetLease(cap: -1, rate: 10, instances: 3); // a third of 30/s; burst 3 × 1/3 = 1, raised to 2

        Assert.Equal(2, Admitted(config, limits, 10));
        _time.Advance(TimeSpan.FromMilliseconds(100)); // one token at 10/s
        Assert.Equal(1, Admitted(config, limits, 10));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, Admitted(config, limits, 20)); // the bucket holds two, not ten
        Assert.Equal(40, limits.Fleet.TakeDemand().RateChecks);
    }

    [Fact]
    public void A_fractional_rate_is_paced_exactly_over_time()
    {
        var limits = new TenantLimitState();
        var config = new TenantConfig { Name = "t", ConnectionRate = 20, ConnectionBurst = 20 };
        limits.Fleet.SetLease(cap: -1, rate: 20.0 / 3, instances: 3);
        var admitted = 0;
        for (var ms = 0; ms < 30_000; ms += 10)
        {
            admitted += Enter(config, limits, out _) == CloseReason.None ? 1 : 0;
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // 6.667/s for 30 s plus the 6.667-token burst: 200 + 6.
        Assert.InRange(admitted, 205, 208);
    }

    [Fact]
    public void Closed_refuses_for_the_rate_too_and_open_does_not_pace()
    {
        var config = new TenantConfig { Name = "t", ConnectionRate = 5, ConnectionBurst = 5 };
        var closed = new TenantLimitState();
        closed.Fleet.SetFallback(FleetShareMode.Closed, instances: 2);
        Assert.Equal(CloseReason.RateLimited, Enter(config, closed, out _));

        var open = new TenantLimitState();
        open.Fleet.SetFallback(FleetShareMode.Open, instances: 2);
        Assert.Equal(50, Admitted(config, open, 50));
    }

    [Fact]
    public void The_limits_in_force_say_null_where_a_limit_is_unset_or_not_enforced()
    {
        var share = new FleetShare();
        Assert.Equal((30, (double?)null), share.InForce(maxConnections: 30, connectionRate: 0));
        share.SetLease(cap: 12, rate: 4.5, instances: 3);
        Assert.Equal((12, 4.5), share.InForce(30, 20));
        share.SetFallback(FleetShareMode.Open, instances: 3);
        Assert.Equal(((int?)null, (double?)null), share.InForce(30, 20));
        share.SetFallback(FleetShareMode.Closed, instances: 3);
        Assert.Equal((0, 0.0), share.InForce(30, 20));
    }
}
