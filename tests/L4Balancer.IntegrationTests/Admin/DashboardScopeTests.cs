using System.Text.Json.Nodes;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>The dashboard with a read token and the weight button (issue 17), in a real headless Chromium.</summary>
public class DashboardScopeTests
{
    private static string Text(string selector) => $"document.querySelector({JsonValue.Create(selector).ToJsonString()})?.textContent ?? null";

    private static string Count(string selector) => $"document.querySelectorAll({JsonValue.Create(selector).ToJsonString()}).length";

    [ChromiumFact]
    public async Task A_read_token_shows_the_balancer_and_offers_no_button_that_would_answer_403()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a, b));
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.ReadToken}&interval=200");

        await browser.WaitForAsync(Count("[data-backend]"), v => (int?)v == 2, because: "the status polled with the read token shows both backends");
        Assert.Equal("up", (string?)await browser.EvaluateAsync(Text($"""[data-backend="{TestConfigs.TenantName}/{a.Address}"] [data-field="state"]""")));

        // No drain, undrain or weight button; each row says why, and so does the header.
        Assert.Equal(0, (int?)await browser.EvaluateAsync(Count("button[data-action]")));
        Assert.Equal(2, (int?)await browser.EvaluateAsync(Count("""[data-field="read-only"]""")));
        Assert.False((bool?)await browser.EvaluateAsync("document.getElementById('scope').hidden"));
        Assert.Equal("read-only token", (string?)await browser.EvaluateAsync(Text("#scope")));
        Assert.Equal("", (string?)await browser.EvaluateAsync(Text("#banner")));
    }

    [ChromiumFact]
    public async Task The_weight_button_sets_the_weight_and_a_refused_value_shows_the_servers_reason()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a, b));
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.Token}&interval=200");
        var row = $"""[data-backend="{TestConfigs.TenantName}/{a.Address}"]""";
        await browser.WaitForAsync(Count($"{row} button[data-action=\"weight\"]"), v => (int?)v == 1, because: "an operate token gets the weight button");
        Assert.True((bool?)await browser.EvaluateAsync("document.getElementById('scope').hidden"));

        // The prompt answered "0": the engine takes a out of rotation and the row says so.
        await browser.EvaluateAsync($$"""window.prompt = () => "0"; document.querySelector('{{row}} button[data-action="weight"]').click()""");
        var backendA = admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(a.Address)!;
        await Deadline.UntilAsync(() => backendA.WeightOverride == 0, because: "the weight button set a's weight to 0");
        await browser.WaitForAsync(Text($"{row} td.num:nth-of-type(6)"), v => (string?)v == "0 (set, configured 1)", because: "the row shows the weight set");
        await browser.WaitForAsync(Text($"{row} [data-field=\"by\"]"), v => (string?)v == "by weight");

        // A refused value: the server's reason stays on screen past the next polls.
        await browser.EvaluateAsync($$"""window.prompt = () => "-1"; document.querySelector('{{row}} button[data-action="weight"]').click()""");
        const string Reason = "\"weight\" must be 0 or more (got -1)";
        await browser.WaitForAsync(Text("#banner"), v => ((string?)v)?.Contains(Reason, StringComparison.Ordinal) == true, because: "the 400's reason is shown");
        var uptime = (string?)await browser.EvaluateAsync(Text("#uptime"));
        await browser.WaitForAsync(Text("#uptime"), v => (string?)v != uptime, because: "later polls");
        Assert.Contains(Reason, (string?)await browser.EvaluateAsync(Text("#banner")), StringComparison.Ordinal);
        Assert.Equal(0, backendA.WeightOverride);
    }
}
