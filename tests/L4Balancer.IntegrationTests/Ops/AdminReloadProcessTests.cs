using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// <c>POST /api/reload</c> on the real executable, through the same reload path as SIGHUP: a good file
/// applies (new generation, new backend for new connections), a bad one answers every error and the
/// old config keeps serving; <c>l4lb_config_reloads_total</c> counts both.
/// </summary>
public class AdminReloadProcessTests
{

    private static async Task<string> FirstLineThroughAsync(IPEndPoint listener)
    {
        using var client = await SocketExtensions.ConnectToAsync(listener);
        return await client.ReadLineAsync(Deadline.After());
    }

    [Fact]
    public async Task Reload_through_the_api_applies_a_good_file_and_keeps_serving_after_a_bad_one()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var token = Guid.NewGuid().ToString("N");
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(a.EndPoint, listener.ToString(), (admin.ToString(), token)));
        try
        {
            await using var process = BalancerProcess.Start("run", "--config", path);
            using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await Deadline.UntilAsync(async () =>
            {
                try
                {
                    using var healthz = await http.GetAsync("/healthz");
                    return healthz.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not bound yet
                }
            }, because: "the balancer to start");
            Assert.Equal("a", await FirstLineThroughAsync(listener));

            await File.WriteAllTextAsync(path, OpsConfigs.PortRouted(b.EndPoint, listener.ToString(), (admin.ToString(), token)));
            using (var ok = await http.PostAsync("/api/reload", null))
            {
                var body = await ok.Content.ReadAsStringAsync();
                Assert.True(ok.StatusCode == HttpStatusCode.OK, body);
                Assert.Equal(2, JsonDocument.Parse(body).RootElement.GetProperty("generation").GetInt64());
            }

            Assert.Equal("b", await FirstLineThroughAsync(listener));

            await File.WriteAllTextAsync(path, OpsConfigs.PortRouted(a.EndPoint, listener.ToString(), (admin.ToString(), token)) + "\nbogus_key = 1\n");
            using (var bad = await http.PostAsync("/api/reload", null))
            {
                var body = await bad.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
                Assert.Contains(errors, e => e.Contains("bogus_key", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(e, @":\d+: "));
            }

            Assert.Equal("b", await FirstLineThroughAsync(listener)); // the old (generation 2) config still serves

            var metrics = new PrometheusText(await http.GetStringAsync("/metrics"));
            Assert.Equal(1, metrics.Get("l4lb_config_reloads_total", ("result", "ok")));
            Assert.Equal(1, metrics.Get("l4lb_config_reloads_total", ("result", "error")));

            process.Signal(BalancerProcess.SIGTERM);
            Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
