using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Lifecycle;

/// <summary>
/// Reloads of a config whose tenant lives in an included file (issue 17), on the real executable: SIGHUP
/// and <c>POST /api/reload</c> read the included files again, apply a changed one, and reject a broken
/// one as a whole (naming its file and line) while the running config keeps serving.
/// </summary>
public sealed class IncludeReloadTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-include-reload-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string MainPath => Path.Combine(_directory.FullName, "balancer.toml");

    private string TenantPath => Path.Combine(_directory.FullName, "tenants.d", "t1.toml");

    private void WriteMain(string bind, (string Listen, string Token)? admin = null) => File.WriteAllText(MainPath, $"""
        include = ["tenants.d/*.toml", "later.d/*.toml"]

        [global]
        drain_timeout = "30s"
        transport = "{TestTransport.ConfigValue}"
        {(admin is { } a ? $"""

        [admin]
        listen = "{a.Listen}"
        token = "{a.Token}"
        """ : "")}

        [[listener]]
        name = "main"
        bind = "{bind}"
        tenant = "t1"
        """);

    private void WriteTenant(IPEndPoint backend)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(TenantPath)!);
        File.WriteAllText(TenantPath, $"""
            [[tenant]]
            name = "t1"

            [[tenant.backend]]
            address = "{backend}"
            """);
    }

    /// <summary>A header missing its <c>]</c> on line 3 of the included file.</summary>
    private void BreakTenant() => File.WriteAllText(TenantPath, "[[tenant]]\nname = \"t1\"\n[[tenant.backend]\naddress = \"127.0.0.1:9\"\n");

    private static async Task<string> FirstLineThroughAsync(IPEndPoint listener)
    {
        using var client = await SocketExtensions.ConnectToAsync(listener);
        return await client.ReadLineAsync(Deadline.After());
    }

    [Fact]
    public async Task Sighup_reads_a_changed_included_file_and_keeps_serving_when_one_is_broken()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        WriteMain("127.0.0.1:0");
        WriteTenant(a.EndPoint);
        await using var process = BalancerProcess.Start("run", "--config", MainPath);
        var main = IPEndPoint.Parse((await process.WaitForLineAsync(@"listener main accepting on (\S+)")).Groups[1].Value);
        Assert.Equal("a", await FirstLineThroughAsync(main));
        // Printed at start (stderr: its own pipe, so not necessarily before the line above).
        await process.WaitForLineAsync("^" + Regex.Escape($"{MainPath}:1: warning: include \"later.d/*.toml\" matches no file") + "$");

        WriteTenant(b.EndPoint);
        process.Signal(BalancerProcess.SIGHUP);
        await process.WaitForLineAsync(@"reload: .* applied, config generation 2");
        await process.WaitForLineAsync(Regex.Escape($"reload: config warning: {MainPath}:1: include \"later.d/*.toml\" matches no file"));
        Assert.Equal("b", await FirstLineThroughAsync(main));

        BreakTenant();
        process.Signal(BalancerProcess.SIGHUP);
        var invalid = await process.WaitForLineAsync(@"config invalid, keeping the running config: (.*)$");
        Assert.StartsWith($"{TenantPath}:3: ", invalid.Groups[1].Value, StringComparison.Ordinal);
        Assert.Equal("b", await FirstLineThroughAsync(main));
        Assert.DoesNotContain(process.Output.Concat(process.Errors), l => l.Contains("generation 3", StringComparison.Ordinal));

        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
    }

    [Fact]
    public async Task Admin_reload_reads_a_changed_included_file_and_answers_the_errors_of_a_broken_one()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var token = Guid.NewGuid().ToString("N");
        WriteMain(listener.ToString(), (admin.ToString(), token));
        WriteTenant(a.EndPoint);
        await using var process = BalancerProcess.Start("run", "--config", MainPath);
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

        WriteTenant(b.EndPoint);
        using (var ok = await http.PostAsync("/api/reload", null))
        {
            var body = await ok.Content.ReadAsStringAsync();
            Assert.True(ok.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal(2, JsonDocument.Parse(body).RootElement.GetProperty("generation").GetInt64());
        }

        Assert.Equal("b", await FirstLineThroughAsync(listener));

        BreakTenant();
        using (var bad = await http.PostAsync("/api/reload", null))
        {
            var body = await bad.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var errors = JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.StartsWith($"{TenantPath}:3: ", Assert.Single(errors), StringComparison.Ordinal);
        }

        Assert.Equal("b", await FirstLineThroughAsync(listener));

        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
    }
}
