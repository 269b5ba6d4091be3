using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// Issue 17, item 4: the log of the real executable as an operator reads it: the level from the config
/// and from the environment, journal priorities in both formats, no framework lines, durations as the
/// config writes them, IPv4 clients as IPv4, and a bind failure in one line.
/// </summary>
public partial class OperatorLogTests
{
    private const string Listening = @"listener main accepting on (\[[0-9a-f:]*\]:\d+|\d+\.\d+\.\d+\.\d+:\d+)";

    /// <summary>Adds <paramref name="lines"/> to the <c>[global]</c> table of an <see cref="OpsConfigs"/> config.</summary>
    private static string WithGlobal(string config, string lines) => config.Replace("[global]\n", $"[global]\n{lines}\n", StringComparison.Ordinal);

    private static IPEndPoint EndPointOf(Match listening) => IPEndPoint.Parse(listening.Groups[1].Value.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>One echoed line and a clean close; returns the client's own address, as the access log should show it.</summary>
    private static async Task<string> ExchangeAsync(IPEndPoint endPoint)
    {
        using var client = await SocketExtensions.ConnectToAsync(endPoint);
        var local = client.LocalEndPoint!.ToString()!;
        await client.SendTextAsync("hello\n", Deadline.After());
        Assert.Equal("hello", await client.ReadLineAsync(Deadline.After()));
        client.Shutdown(SocketShutdown.Send);
        await client.WaitForCloseAsync(Deadline.After());
        return local;
    }

    private static async Task StopAsync(BalancerProcess process)
    {
        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
    }

    [Fact]
    public async Task Log_level_in_the_config_file_silences_everything_below_it()
    {
        await using var backend = TestBackend.Echo();
        var path = await OpsConfigs.WriteAsync(WithGlobal(OpsConfigs.PortRouted(backend.EndPoint), "log_level = \"warning\""));

        // One category back at Information through the environment, only so the test learns the port.
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["Logging__LogLevel__L4Balancer.Engine"] = "Information" }, "run", "--config", path);
        var endPoint = EndPointOf(await process.WaitForLineAsync(Listening));
        await ExchangeAsync(endPoint);
        await StopAsync(process);

        // The access record is at Information: under log_level = "warning" it is not written.
        Assert.DoesNotContain(process.Output, l => l.Contains("L4Balancer.Access", StringComparison.Ordinal));
        Assert.All(process.Output.Where(l => l.Contains(" info: ", StringComparison.Ordinal)), l => Assert.Contains(" info: L4Balancer.Engine[", l));
        File.Delete(path);
    }

    [Fact]
    public async Task Logging__LogLevel__Default_in_the_environment_wins_over_log_level_in_the_file()
    {
        await using var backend = TestBackend.Echo();
        var path = await OpsConfigs.WriteAsync(WithGlobal(OpsConfigs.PortRouted(backend.EndPoint), "log_level = \"warning\""));

        // As in ASP.NET, where the environment overrides appsettings.json: the file's "warning" loses.
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Information" }, "run", "--config", path);
        var endPoint = EndPointOf(await process.WaitForLineAsync(Listening));
        var client = await ExchangeAsync(endPoint);
        await process.WaitForLineAsync($@" info: L4Balancer\.Access\[1000\] conn=\d+ listener=main tenant=t1 client={Regex.Escape(client)} .* end=closed");
        await StopAsync(process);
        File.Delete(path);
    }

    [Fact]
    public async Task A_reload_applies_a_new_log_level()
    {
        await using var backend = TestBackend.Echo();
        var config = OpsConfigs.PortRouted(backend.EndPoint);
        var path = await OpsConfigs.WriteAsync(WithGlobal(config, "log_level = \"warning\""));
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["Logging__LogLevel__L4Balancer.Engine"] = "Information" }, "run", "--config", path);
        var endPoint = EndPointOf(await process.WaitForLineAsync(Listening));
        var quiet = await ExchangeAsync(endPoint);

        await File.WriteAllTextAsync(path, WithGlobal(config, "log_level = \"info\""));
        process.Signal(BalancerProcess.SIGHUP);
        await process.WaitForLineAsync(@"reload: .* applied, config generation 2");
        var logged = await ExchangeAsync(endPoint);
        await process.WaitForLineAsync($@"L4Balancer\.Access\[1000\] .* client={Regex.Escape(logged)} ");
        await StopAsync(process);

        Assert.DoesNotContain(process.Output, l => l.Contains($"client={quiet} ", StringComparison.Ordinal));
        File.Delete(path);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("console")]
    public async Task Under_the_journal_every_line_starts_with_its_syslog_priority_in_both_formats(string format)
    {
        // A backend that refuses: a warning (the failed connect) and an information line (the access record).
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(TestConfigs.ClosedPort()));
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:4242" }, "run", "--config", path, "--log-format", format);
        var endPoint = EndPointOf(await process.WaitForLineAsync(Listening));
        using (var client = await SocketExtensions.ConnectToAsync(endPoint))
        {
            await client.WaitForCloseAsync(Deadline.After());
        }

        await process.WaitForLineAsync("end=no_backend");
        await StopAsync(process);

        var lines = process.Output.Where(l => l.Length > 0).ToList();
        Assert.All(lines, l => Assert.Matches("^<[2-7]>", l));
        var connectFailed = lines.Single(l => l.Contains("connect to backend", StringComparison.Ordinal));
        var access = lines.Single(l => l.Contains("end=no_backend", StringComparison.Ordinal));
        Assert.StartsWith("<4>", connectFailed); // warning
        Assert.StartsWith("<6>", access);        // info
        if (format == "json")
        {
            // After the prefix, which journald strips, each line is the JSON object.
            Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l[3..]).RootElement.ValueKind));
            Assert.Equal("Warning", JsonDocument.Parse(connectFailed[3..]).RootElement.GetProperty("LogLevel").GetString());
        }
        else
        {
            Assert.StartsWith("<6>L4Balancer.Access[1000] conn=", access);
        }

        File.Delete(path);
    }

    [Theory]
    [InlineData("json")]
    [InlineData("console")]
    public async Task The_frameworks_start_and_stop_lines_are_not_logged(string format)
    {
        await using var backend = TestBackend.Echo();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, admin: ("127.0.0.1:0", "some-token")));
        await using var process = BalancerProcess.Start("run", "--config", path, "--log-format", format);
        await process.WaitForLineAsync(Listening);
        await process.WaitForLineAsync("admin endpoint listening on");
        await StopAsync(process);

        string[] framework = ["Hosting environment", "Content root path", "Press Ctrl", "Application started", "Now listening on", "Application is shutting down", "Microsoft.Hosting.Lifetime"];
        Assert.All(process.Output.Concat(process.Errors), l => Assert.All(framework, f => Assert.DoesNotContain(f, l)));
        Assert.Contains(process.Output, l => l.Contains("listener main stopped accepting", StringComparison.Ordinal)); // the balancer's own lines are there
        File.Delete(path);
    }

    [Fact]
    public async Task Durations_are_printed_as_the_config_writes_them()
    {
        await using var backend = TestBackend.Echo();
        var config = OpsConfigs.PortRouted(backend.EndPoint) + """


            [tenant.health]
            interval = "90s"
            timeout = "1500ms"
            """;
        var path = await OpsConfigs.WriteAsync(config);
        await using var process = BalancerProcess.Start("run", "--config", path);
        var endPoint = EndPointOf(await process.WaitForLineAsync(Listening));
        await process.WaitForLineAsync(Regex.Escape("tenant t1: active health checks of 1 backends every 90s (timeout 1500ms, rise 2, fall 3)"));

        // The drain line, with a connection held open through SIGTERM: drain_timeout = "30s".
        using (var client = await SocketExtensions.ConnectToAsync(endPoint))
        {
            await client.SendTextAsync("hello\n", Deadline.After());
            Assert.Equal("hello", await client.ReadLineAsync(Deadline.After()));
            process.Signal(BalancerProcess.SIGTERM);
            await process.WaitForLineAsync(Regex.Escape("draining 1 open connections for up to 30s"));
        }

        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        Assert.DoesNotContain(process.Output, l => TimeSpanText().IsMatch(l));
        File.Delete(path);
    }

    [Ipv6LoopbackFact]
    public async Task An_IPv4_client_of_a_dual_stack_listener_is_logged_as_IPv4()
    {
        await using var backend = TestBackend.Echo();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, bind: "[::]:0"));
        await using var process = BalancerProcess.Start("run", "--config", path, "--log-format", "json");
        var listening = await process.WaitForLineAsync(Listening);
        Assert.StartsWith("[::]:", listening.Groups[1].Value);

        var client = await ExchangeAsync(EndPointOf(listening));
        Assert.StartsWith("127.0.0.1:", client);
        await process.WaitForLineAsync("\"Category\":\"L4Balancer.Access\"");
        await StopAsync(process);

        var record = JsonDocument.Parse(process.Output.Single(l => l.Contains("\"L4Balancer.Access\"", StringComparison.Ordinal))).RootElement;
        Assert.Equal(client, record.GetProperty("State").GetProperty("Client").GetString());
        Assert.Contains($"client={client} ", record.GetProperty("Message").GetString());
        Assert.DoesNotContain(process.Output, l => l.Contains("::ffff:", StringComparison.Ordinal));
        File.Delete(path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_listener_port_in_use_is_one_line_on_stderr_and_exit_code_1(bool journal)
    {
        await using var backend = TestBackend.Echo();
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, bind: occupied.LocalEndPoint!.ToString()!));
        var environment = journal ? new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:4242" } : null;
        await using var process = BalancerProcess.Start(environment, "run", "--config", path);

        Assert.Equal(1, await process.WaitForExitAsync(Deadline.After()));
        var line = Assert.Single(process.Errors, l => l.Length > 0);
        Assert.Equal($"{(journal ? "<2>" : "")}l4balancer: listener \"main\": cannot bind {occupied.LocalEndPoint}: Address already in use", line);

        // No stack trace, no source paths, no second and third telling of the same failure.
        Assert.DoesNotContain(process.Output, l => l.Contains("cannot bind", StringComparison.Ordinal) || l.Contains("Hosting failed", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal) || l.Contains(".cs:line", StringComparison.Ordinal));
        File.Delete(path);
    }

    /// <summary>A TimeSpan's default text (00:00:02, 1.00:00:00): what durations looked like before issue 17.</summary>
    [GeneratedRegex(@"\b\d{2}:\d{2}:\d{2}\b")]
    private static partial Regex TimeSpanText();
}
