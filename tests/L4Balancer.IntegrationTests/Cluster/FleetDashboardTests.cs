using System.Text.Json.Nodes;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cluster;

/// <summary>The dashboard's fleet card in a real headless Chromium: live instances, Redis state, the tenant's share.</summary>
public sealed class FleetDashboardTests
{
    private static string Text(string selector) => $"document.querySelector({JsonValue.Create(selector).ToJsonString()})?.textContent ?? null";

    [ChromiumAndRedisFact]
    public async Task The_fleet_card_lists_the_live_instances_and_says_when_Redis_is_unreachable()
    {
        await using var fleet = await Fleet.StartAsync();
        var interval = TimeSpan.FromMilliseconds(200);
        await using var admin = await AdminHarness.StartAsync(fleet.Config("dash", interval, t => t with { MaxConnections = 30 }));
        await fleet.AddAsync(fleet.Config("peer", interval, t => t with { MaxConnections = 30 }));
        await using var browser = await HeadlessChromium.StartAsync();
        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.Token}&interval=200");

        await browser.WaitForAsync(Text("""#fleet [data-field="instances"]"""), v => (string?)v == "2 live: dash, peer", because: "both instances listed");
        Assert.False((bool?)await browser.EvaluateAsync("document.getElementById('fleet').hidden"));
        Assert.Equal("Redis up", (string?)await browser.EvaluateAsync(Text("""#fleet [data-field="redis"]""")));
        await browser.WaitForAsync(Text("""[data-fleet-tenant="t1"]"""), v => ((string?)v)?.Contains("lease · 0 open of 15 here / 30 fleet-wide", StringComparison.Ordinal) == true, because: "the tenant's lease shown");

        await fleet.Redis.KillAsync();
        await browser.WaitForAsync(Text("""#fleet [data-field="redis"]"""), v => (string?)v == "Redis unreachable (on_redis_down = local_share)", because: "the outage shown");
    }
}
