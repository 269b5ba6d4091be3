using System.Text.Json.Nodes;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Health;

/// <summary>The dashboard's backend table says why a backend is down (issue 17), in a real headless Chromium.</summary>
public class HealthDashboardTests
{
    private static string Text(string selector) => $"document.querySelector({JsonValue.Create(selector).ToJsonString()})?.textContent ?? null";

    [ChromiumFact]
    public async Task A_down_backend_shows_its_check_status_detail_and_how_long_it_has_been_down()
    {
        await using var ok = HealthBackends.Http(200);
        await using var failing = HealthBackends.Http(503);
        var unresolved = new BackendConfig { Address = "nowhere.invalid:443", EndPoint = null, Host = "nowhere.invalid", Port = 443, ResolveError = "Name or service not known" };
        var config = TestConfigs.PortRouted(
            [TestConfigs.Backend(ok.EndPoint), TestConfigs.Backend(failing.EndPoint), unresolved],
            t => t with
            {
                Health = new HealthConfig { Type = HealthCheckType.Http, Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(2), Rise = 1, Fall = 1 },
            });
        await using var admin = await AdminHarness.StartAsync(config);
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.Token}&interval=200");

        var rowOk = $"""[data-backend="{TestConfigs.TenantName}/{ok.EndPoint}"]""";
        var rowFailing = $"""[data-backend="{TestConfigs.TenantName}/{failing.EndPoint}"]""";
        var rowDns = $"""[data-backend="{TestConfigs.TenantName}/nowhere.invalid:443"]""";
        await browser.WaitForAsync(Text($"{rowFailing} [data-field=\"state\"]"), v => (string?)v == "down", because: "the 503 backend goes down");
        await browser.WaitForAsync(Text($"{rowFailing} [data-field=\"check\"]"), v => (string?)v == "L7STS HTTP 503 X (expect_status 200-399)", because: "the row says why");
        Assert.Equal("by checks", (string?)await browser.EvaluateAsync(Text($"{rowFailing} [data-field=\"by\"]")));
        Assert.Matches(@"^down for \d+s$", (string?)await browser.EvaluateAsync(Text($"{rowFailing} [data-field=\"last-change\"]")));

        await browser.WaitForAsync(Text($"{rowDns} [data-field=\"check-status\"]"), v => (string?)v == "DNS", because: "the name that does not resolve says DNS");
        Assert.Equal("down", (string?)await browser.EvaluateAsync(Text($"{rowDns} [data-field=\"state\"]")));
        Assert.Equal("by dns", (string?)await browser.EvaluateAsync(Text($"{rowDns} [data-field=\"by\"]")));
        Assert.StartsWith("DNS nowhere.invalid does not resolve: ", (string?)await browser.EvaluateAsync(Text($"{rowDns} [data-field=\"check\"]")), StringComparison.Ordinal);

        // An up backend with a passing check shows no reason, only how long it has been up.
        Assert.Equal("up", (string?)await browser.EvaluateAsync(Text($"{rowOk} [data-field=\"state\"]")));
        Assert.Null((string?)await browser.EvaluateAsync(Text($"{rowOk} [data-field=\"check\"]")));
        Assert.Matches(@"^up for \d+s$", (string?)await browser.EvaluateAsync(Text($"{rowOk} [data-field=\"last-change\"]")));

        // The backend recovers: the reason goes, and the row says it is up again.
        failing.Respond(TinyHttpServer.Raw(TinyHttpServer.Head(200, "text/plain", 0)));
        await browser.WaitForAsync(Text($"{rowFailing} [data-field=\"state\"]"), v => (string?)v == "up", because: "the backend answers 200 again");
        await browser.WaitForAsync(Text($"{rowFailing} [data-field=\"check\"]"), v => v is null);
    }
}
