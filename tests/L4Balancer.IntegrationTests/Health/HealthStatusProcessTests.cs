using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.IntegrationTests.Ops;

namespace L4Balancer.IntegrationTests.Health;

/// <summary>
/// Issue 17 on the real executable: an HTTP-checked tenant whose backends answer 200, 500, nothing, a reset,
/// and a host name under <c>.invalid</c> (RFC 6761: never resolves, nothing leaves the machine). The status
/// says why each is down and since when, the metric carries the same time, and neither the start nor a
/// reload is stopped by the name that does not resolve.
/// </summary>
public class HealthStatusProcessTests
{
    private const string Rfc3339 = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$";

    private static string Config(string admin, string token, IEnumerable<string> backends) => $"""
        [global]
        drain_timeout = "1s"
        transport = "{TestTransport.ConfigValue}"
        resolve_interval = "1s"

        [admin]
        listen = "{admin}"
        token = "{token}"

        [[listener]]
        name = "main"
        bind = "127.0.0.1:0"
        tenant = "t1"

        [[tenant]]
        name = "t1"

        [tenant.health]
        type = "http"
        path = "/healthz"
        interval = "200ms"
        timeout = "1s"
        rise = 1
        fall = 1
        {string.Concat(backends.Select(b => $"""

        [[tenant.backend]]
        address = "{b}"
        """))}
        """;

    private static async Task<Dictionary<string, JsonElement>> BackendsAsync(HttpClient http)
    {
        using var status = JsonDocument.Parse(await http.GetStringAsync("/api/status"));
        return status.RootElement.GetProperty("backends").EnumerateArray()
            .ToDictionary(b => b.GetProperty("address").GetString()!, b => b.Clone(), StringComparer.Ordinal);
    }

    private static string? Status(Dictionary<string, JsonElement> backends, string address) =>
        backends.TryGetValue(address, out var b) && b.GetProperty("check_status").ValueKind == JsonValueKind.String ? b.GetProperty("check_status").GetString() : null;

    [Fact]
    public async Task Status_and_metrics_say_why_each_backend_is_down_and_a_name_that_does_not_resolve_stops_neither_start_nor_reload()
    {
        await using var ok = HealthBackends.Http(200);
        await using var failing = HealthBackends.Http(500);
        await using var stalled = HealthBackends.Stalled();
        await using var resetting = HealthBackends.Resetting();
        const string unresolved = "nowhere.invalid:443";
        var admin = TestConfigs.ClosedPort().ToString();
        var token = Guid.NewGuid().ToString("N");
        var addresses = new[] { ok.EndPoint.ToString(), failing.EndPoint.ToString(), stalled.Address, resetting.Address, unresolved };
        var path = await OpsConfigs.WriteAsync(Config(admin, token, addresses));
        try
        {
            var started = DateTimeOffset.UtcNow;
            await using var process = BalancerProcess.Start("run", "--config", path);
            await process.WaitForLineAsync(Regex.Escape($"{path}:") + @"\d+: warning: tenant ""t1"": backend address ""nowhere\.invalid:443"" cannot be resolved \(");
            using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Deadline.UntilAsync(async () =>
            {
                try
                {
                    return (await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, because: "the balancer starts despite the name that does not resolve");

            var expected = new Dictionary<string, string>
            {
                [addresses[0]] = "L7OK",
                [addresses[1]] = "L7STS",
                [addresses[2]] = "L7TOUT",
                [addresses[3]] = "L7RSP",
                [unresolved] = "DNS",
            };
            Dictionary<string, JsonElement> backends = [];
            await Deadline.UntilAsync(async () =>
            {
                backends = await BackendsAsync(http);
                return expected.All(e => Status(backends, e.Key) == e.Value && backends[e.Key].GetProperty("up").GetBoolean() == (e.Value == "L7OK"));
            }, because: "every backend checked: " + string.Join(", ", expected.Keys.Select(k => $"{k}={Status(backends, k)}")));

            Assert.Equal("HTTP 200 X", backends[addresses[0]].GetProperty("check_detail").GetString());
            Assert.Equal("HTTP 500 X (expect_status 200-399)", backends[addresses[1]].GetProperty("check_detail").GetString());
            Assert.Equal("no HTTP status line within 1s", backends[addresses[2]].GetProperty("check_detail").GetString());
            Assert.Contains(backends[addresses[3]].GetProperty("check_detail").GetString(), new[] { "connection reset by the backend", "connection closed without a response" });
            Assert.StartsWith("nowhere.invalid does not resolve: ", backends[unresolved].GetProperty("check_detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(["dns"], backends[unresolved].GetProperty("down_by").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(["checks"], backends[addresses[1]].GetProperty("down_by").EnumerateArray().Select(e => e.GetString()));

            var metrics = new PrometheusText(await http.GetStringAsync("/metrics"));
            Assert.Equal("gauge", metrics.TypeOf("l4lb_backend_last_change_timestamp_seconds"));
            foreach (var address in addresses)
            {
                var text = backends[address].GetProperty("last_change").GetString()!;
                Assert.Matches(Rfc3339, text);
                var lastChange = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
                Assert.InRange(lastChange, started.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
                Assert.Equal(lastChange.ToUnixTimeMilliseconds() / 1000.0, metrics.Get("l4lb_backend_last_change_timestamp_seconds", ("tenant", "t1"), ("backend", address)), 3);
                Assert.Equal(expected[address] == "L7OK" ? 1 : 0, metrics.Get("l4lb_backend_up", ("tenant", "t1"), ("backend", address)));
            }

            // A stalled backend's checks time out, and each one's connection is closed: none pile up.
            await Deadline.UntilAsync(() => stalled.Total >= 3, because: "the stalled backend checked again and again");
            Assert.InRange(stalled.Active, 0, 1); // at most the check in flight

            // A reload that adds another name under .invalid is applied, not refused.
            const string late = "late.invalid:8080";
            await File.WriteAllTextAsync(path, Config(admin, token, [.. addresses, late]));
            using (var reload = await http.PostAsync("/api/reload", null))
            {
                var body = await reload.Content.ReadAsStringAsync();
                Assert.True(reload.StatusCode == HttpStatusCode.OK, body);
                Assert.Equal(2, JsonDocument.Parse(body).RootElement.GetProperty("generation").GetInt64());
            }

            backends = await BackendsAsync(http);
            Assert.Equal("DNS", Status(backends, late));
            Assert.False(backends[late].GetProperty("up").GetBoolean());
            Assert.Equal("L7OK", Status(backends, addresses[0])); // kept backends keep their state
            await process.WaitForLineAsync(@"reload: config warning: .*backend address ""late\.invalid:8080"" cannot be resolved \(");

            process.Signal(BalancerProcess.SIGTERM);
            Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Check_warns_about_a_name_that_does_not_resolve_and_exits_0()
    {
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(IPEndPoint.Parse("127.0.0.1:9")).Replace("address = \"127.0.0.1:9\"", "address = \"nowhere.invalid:443\"", StringComparison.Ordinal));
        try
        {
            var line = File.ReadAllLines(path).ToList().FindIndex(l => l.Contains("nowhere.invalid", StringComparison.Ordinal)) + 1;

            var (exitCode, output, errors) = await BalancerProcess.RunAsync("check", "--config", path);

            Assert.True(exitCode == 0, errors);
            Assert.StartsWith($"{path}:{line}: warning: tenant \"t1\": backend address \"nowhere.invalid:443\" cannot be resolved (", errors, StringComparison.Ordinal);
            Assert.EndsWith("): it starts down (check_status DNS) and is looked up again every 30s and in every health check round", errors.Trim(), StringComparison.Ordinal);
            Assert.Contains($"{path}: ok", output, StringComparison.Ordinal);
            Assert.Contains("backend nowhere.invalid:443 (unresolved: starts down, check_status DNS)", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
