using System.Text.Json.Nodes;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Feedback;

/// <summary>The dashboard's backend table with load reports (issue 16), in a real headless Chromium.</summary>
public class FeedbackDashboardTests
{
    private static string Text(string selector) => $"document.querySelector({JsonValue.Create(selector).ToJsonString()})?.textContent ?? null";

    [ChromiumFact]
    public async Task The_backend_table_shows_the_load_its_age_and_who_drained()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        await using var agentA = new ScriptedAgent("drain\n");
        await using var agentB = new ScriptedAgent("up 50%\n");
        var config = TestConfigs.PortRouted(
            [TestConfigs.Backend(a) with { AgentPort = agentA.Port }, TestConfigs.Backend(b, weight: 4) with { AgentPort = agentB.Port }],
            t => t with
            {
                Feedback = new FeedbackConfig
                {
                    Source = FeedbackSource.Agent,
                    Interval = TimeSpan.FromMilliseconds(200),
                    Timeout = TimeSpan.FromMilliseconds(200),
                    StaleAfter = TimeSpan.FromMilliseconds(600),
                },
            });
        await using var admin = await AdminHarness.StartAsync(config);
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.Token}&interval=200");

        var rowA = $"""[data-backend="{TestConfigs.TenantName}/{a.Address}"]""";
        var rowB = $"""[data-backend="{TestConfigs.TenantName}/{b.Address}"]""";
        await browser.WaitForAsync(Text($"{rowA} [data-field=\"state\"]"), v => (string?)v == "draining", because: "the agent drains a");
        await browser.WaitForAsync(Text($"{rowA} [data-field=\"by\"]"), v => (string?)v == "by agent");
        await browser.WaitForAsync(Text($"{rowA} [data-field=\"load\"]"), v => ((string?)v)?.StartsWith("drain ", StringComparison.Ordinal) == true && ((string?)v)!.EndsWith("s ago", StringComparison.Ordinal));
        await browser.WaitForAsync(Text($"{rowB} td.num:nth-of-type(6)"), v => (string?)v == "2 (4, agent 50%)", because: "b's weight with the agent's share");

        // The button still offers the operator's drain: the agent's is not the operator's to undo.
        Assert.Equal("drain", (string?)await browser.EvaluateAsync(Text($"{rowA} button")));

        agentA.Silent();
        await browser.WaitForAsync(Text($"{rowA} [data-field=\"load\"]"), v => ((string?)v)?.Contains("stale, ", StringComparison.Ordinal) == true, because: "a silent agent's report goes stale");
    }
}
