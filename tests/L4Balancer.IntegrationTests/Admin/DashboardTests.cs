using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>The dashboard in a real headless Chromium, against a live balancer.</summary>
public class DashboardTests
{
    private static BalancerConfig TwoTenants(TestBackend a, TestBackend b, TestBackend c)
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        return new BalancerConfig
        {
            Listeners =
            [
                new ListenerConfig { Name = "acme-llm", Bind = loopback, Tenant = "acme" },
                new ListenerConfig { Name = "globex-llm", Bind = loopback, Tenant = "globex" },
            ],
            Tenants =
            [
                new TenantConfig { Name = "acme", Backends = [TestConfigs.Backend(a), TestConfigs.Backend(b)] },
                new TenantConfig { Name = "globex", Balance = BalanceAlgorithm.RoundRobin, Backends = [TestConfigs.Backend(c)] },
            ],
        };
    }

    private static string Text(string selector) => $"document.querySelector({JsonValue.Create(selector).ToJsonString()})?.textContent ?? null";

    private static string Attributes(string selector, string attribute) =>
        $"[...document.querySelectorAll({JsonValue.Create(selector).ToJsonString()})].map(e => e.getAttribute('{attribute}')).sort().join(' ')";

    [ChromiumFact]
    public async Task Shows_every_tenant_and_backend_and_the_active_figure_rises_with_open_connections()
    {
        await using var a = TestBackend.Echo();
        await using var b = TestBackend.Echo();
        await using var c = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TwoTenants(a, b, c));
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.Token}&interval=200");

        await browser.WaitForAsync(Attributes(".card[data-tenant]", "data-tenant"), v => (string?)v == "acme globex", because: "both tenants shown");
        var expectedBackends = string.Join(' ', new[] { $"acme/{a.Address}", $"acme/{b.Address}", $"globex/{c.Address}" }.Order(StringComparer.Ordinal));
        await browser.WaitForAsync(Attributes("[data-backend]", "data-backend"), v => (string?)v == expectedBackends, because: "every backend shown");
        Assert.Equal("up", (string?)await browser.EvaluateAsync(Text($"""[data-backend="acme/{a.Address}"] [data-field="state"]""")));
        var acmeActive = Text("""[data-tenant="acme"] .figures [data-field="active"]""");
        Assert.Equal("0", (string?)await browser.EvaluateAsync(acmeActive));

        // The token was taken from the fragment and is no longer in the address bar.
        Assert.Equal("", (string?)await browser.EvaluateAsync("location.hash"));

        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await admin.Balancer.ConnectAsync("acme-llm");
                clients.Add(client);
                await client.SendTextAsync("ping\n", Deadline.After());
                Assert.Equal("ping", await client.ReadLineAsync(Deadline.After()));
            }

            // The same page, polling: the figure rises without a reload.
            await browser.WaitForAsync(acmeActive, v => (string?)v == "3", because: "acme's active figure shows the 3 open connections");
            await browser.WaitForAsync(Text("#total-active"), v => (string?)v == "3");
            Assert.Equal("0", (string?)await browser.EvaluateAsync(Text("""[data-tenant="globex"] .figures [data-field="active"]""")));

            if (Environment.GetEnvironmentVariable("L4B_DASHBOARD_SCREENSHOT") is { Length: > 0 } path)
            {
                await File.WriteAllBytesAsync(path, await browser.ScreenshotAsync());
            }

            // The drain button drains that backend in the engine, and the page says so.
            await browser.EvaluateAsync($$"""document.querySelector('button[data-action="drain"][data-address="{{a.Address}}"]').click()""");
            var backendA = admin.Balancer.Engine.Current.Tenants["acme"].FindBackend(a.Address)!;
            await Deadline.UntilAsync(() => backendA.IsDraining, because: "the drain button drained backend a");
            await browser.WaitForAsync(Text($"""[data-backend="acme/{a.Address}"] [data-field="state"]"""), v => (string?)v == "draining");
        }
        finally
        {
            clients.ForEach(s => s.Dispose());
        }

        await browser.WaitForAsync(acmeActive, v => (string?)v == "0", because: "the figure falls when the connections close");
    }

    [ChromiumFact]
    public async Task The_header_shows_the_pid_and_after_an_upgrade_whom_this_process_took_over_from()
    {
        await using var a = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a));
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token={AdminHarness.Token}&interval=200");

        await browser.WaitForAsync(Text("#pid"), v => (string?)v == $"pid {Environment.ProcessId}", because: "the header shows the pid");
        Assert.True((bool?)await browser.EvaluateAsync("document.getElementById('takeover').hidden"), "a fresh start shows no takeover");

        admin.Balancer.Engine.CompleteTakeover(4242, predecessorOk: 0, predecessorError: 0);

        await browser.WaitForAsync(Text("#takeover"), v => ((string?)v ?? "").StartsWith("took over from pid 4242 at ", StringComparison.Ordinal),
            because: "the next poll shows the takeover");
        Assert.False((bool?)await browser.EvaluateAsync("document.getElementById('takeover').hidden"));
        Assert.Equal("upgrades 1 ok / 0 failed", (string?)await browser.EvaluateAsync(Text("#upgrades")));
    }

    [ChromiumFact]
    public async Task A_wrong_token_asks_for_the_token_and_shows_no_data()
    {
        await using var a = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(a));
        await using var browser = await HeadlessChromium.StartAsync();

        await browser.NavigateAsync($"{admin.BaseAddress}#token=not-the-token");

        await browser.WaitForAsync("document.getElementById('token-dialog').open", v => v?.GetValue<bool>() == true, because: "the token dialog opens");
        Assert.Contains("401", (string?)await browser.EvaluateAsync(Text("#banner")));
        Assert.Equal(0, (int?)await browser.EvaluateAsync("document.querySelectorAll('.card[data-tenant]').length"));
    }
}
