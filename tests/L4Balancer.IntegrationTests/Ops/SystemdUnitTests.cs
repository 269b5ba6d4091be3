using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>deploy/l4balancer.service: what the issue asks of it, systemd's own checks, and a real run against its sandbox.</summary>
public partial class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(RepoPaths.Root, "deploy", "l4balancer.service");

    private static List<(string Key, string Value)> Settings() =>
        File.ReadAllLines(UnitPath)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('[') && l.Contains('='))
            .Select(l => (l[..l.IndexOf('=')], l[(l.IndexOf('=') + 1)..]))
            .ToList();

    private static string Setting(string key) => Settings().Single(s => s.Key == key).Value;

    /// <summary>
    /// A copy whose install path (/opt/l4balancer/l4balancer, absent on a build machine) points at an
    /// executable that exists, so verify checks everything else as written.
    /// </summary>
    private static async Task<string> InstallableCopyAsync()
    {
        var dir = Directory.CreateTempSubdirectory("l4b-unit-").FullName;
        var standIn = Path.Combine(dir, "l4balancer");
        await File.WriteAllTextAsync(standIn, "#!/bin/sh\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        }
        var copy = Path.Combine(dir, "l4balancer.service");
        await File.WriteAllTextAsync(copy, (await File.ReadAllTextAsync(UnitPath)).Replace("/opt/l4balancer/l4balancer", standIn, StringComparison.Ordinal));
        return copy;
    }

    [Fact]
    public void The_unit_has_the_settings_the_issue_asks_for()
    {
        Assert.Equal("notify", Setting("Type"));

        // A binary upgrade's new process sends MAINPID=; systemd hears it only with NotifyAccess=all (issue 12).
        Assert.Equal("all", Setting("NotifyAccess"));
        Assert.Equal("/bin/kill -HUP $MAINPID", Setting("ExecReload"));
        Assert.Contains("run --config /etc/l4balancer/balancer.toml", Setting("ExecStart"));
        Assert.True(long.Parse(Setting("LimitNOFILE")) >= 65536);
        Assert.Equal("CAP_NET_BIND_SERVICE", Setting("AmbientCapabilities"));
        Assert.Equal("CAP_NET_BIND_SERVICE", Setting("CapabilityBoundingSet"));
        Assert.Equal("l4balancer", Setting("User"));
        Assert.Equal("true", Setting("NoNewPrivileges"));
        Assert.Equal("strict", Setting("ProtectSystem"));
        foreach (var key in new[] { "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality" })
        {
            Assert.Equal("true", Setting(key));
        }

        // SIGTERM drains for up to drain_timeout (5m by default): systemd must not SIGKILL before that.
        Assert.True(int.Parse(Setting("TimeoutStopSec")) > 300);
    }

    [SystemdAnalyzeFact]
    public async Task Systemd_analyze_verify_passes_without_a_warning()
    {
        var copy = await InstallableCopyAsync();

        var (code, output, errors) = await ExternalTool.RunAsync(SystemdAnalyzeFactAttribute.Path!, ["verify", "--man=no", copy]);

        Assert.True(code == 0, $"systemd-analyze verify exit {code}:\n{output}{errors}");
        Assert.Equal("", (output + errors).Trim());
    }

    [SystemdAnalyzeFact]
    public async Task Systemd_analyze_verify_passes_for_the_socket_unit_beside_the_service()
    {
        var service = await InstallableCopyAsync();
        var socket = Path.Combine(Path.GetDirectoryName(service)!, "l4balancer.socket");
        File.Copy(Path.Combine(RepoPaths.Root, "deploy", "l4balancer.socket"), socket);

        var (code, output, errors) = await ExternalTool.RunAsync(SystemdAnalyzeFactAttribute.Path!, ["verify", "--man=no", socket, service]);

        Assert.True(code == 0, $"systemd-analyze verify exit {code}:\n{output}{errors}");
        Assert.Equal("", (output + errors).Trim());
        Assert.Contains("FileDescriptorName=main", await File.ReadAllTextAsync(socket));
    }

    [SystemdAnalyzeFact]
    public async Task Systemd_analyze_security_rates_the_exposure_two_or_lower()
    {
        var copy = await InstallableCopyAsync();

        // --threshold is on the 0-100 scale of the 0.0-10.0 exposure level it prints.
        var (code, output, errors) = await ExternalTool.RunAsync(SystemdAnalyzeFactAttribute.Path!, ["security", "--offline=true", "--threshold=20", "--no-pager", copy]);

        Assert.True(code == 0, $"exposure above 2.0:\n{output}{errors}");
    }

    /// <summary>
    /// The sandbox must let the balancer do its work: run the real executable under strace through
    /// start-up, a relayed connection, the admin API, SIGHUP and a SIGTERM drain, and check every system
    /// call against SystemCallFilter and every socket family against RestrictAddressFamilies.
    /// (A filter that denied a call the runtime makes on every new thread would kill the service at start.)
    /// </summary>
    [StraceFact]
    public async Task The_syscall_filter_and_address_families_allow_everything_the_balancer_does()
    {
        await using var backend = TestBackend.Echo();
        using var notify = NotifySocket.Abstract();
        var dir = Directory.CreateTempSubdirectory("l4b-strace-").FullName;
        var trace = Path.Combine(dir, "trace");
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var config = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString(), (admin.ToString(), "strace-token")));

        var info = new ProcessStartInfo(StraceFactAttribute.Path!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        string[] straceArgs = ["-f", "-qq", "-o", trace, .. BalancerProcess.Command, "run", "--config", config, "--log-format", "json"];
        foreach (var arg in straceArgs)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["NOTIFY_SOCKET"] = notify.Address;
        using var strace = Process.Start(info)!;
        strace.OutputDataReceived += (_, _) => { };
        strace.ErrorDataReceived += (_, _) => { };
        strace.BeginOutputReadLine();
        strace.BeginErrorReadLine();
        try
        {
            try
            {
                await notify.ReceiveUntilAsync("READY=1", TimeSpan.FromSeconds(120));
            }
            catch (TimeoutException ex)
            {
                // Seen once in CI (the sockets pass): no READY=1 in 120 s where 2-4 s is usual. What the
                // traced threads were last doing is what the next occurrence needs to be understood.
                var tail = File.Exists(trace) ? string.Join("\n", File.ReadLines(trace).TakeLast(60)) : "(no trace file)";
                throw new TimeoutException($"no READY=1 under strace within 120 s; the trace's last lines:\n{tail}", ex);
            }

            var balancer = TracedChild(strace.Id);

            using (var client = await SocketExtensions.ConnectToAsync(listener))
            {
                await client.SendTextAsync("traced\n", Deadline.After());
                Assert.Equal("traced", await client.ReadLineAsync(Deadline.After()));
            }

            using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(60) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "strace-token");
            http.DefaultRequestHeaders.ConnectionClose = true; // after the upgrade, requests go to the successor (as UpgradeAdmin does)
            Assert.Contains("l4lb_connections_total", await http.GetStringAsync("/metrics"));
            Assert.Contains("\"tenants\"", await http.GetStringAsync("/api/status"));
            Assert.Contains("<html", await http.GetStringAsync("/"));
            using (var drain = await http.PostAsync($"/api/tenants/t1/backends/{Uri.EscapeDataString(backend.Address)}/drain", null))
            {
                Assert.Equal(HttpStatusCode.OK, drain.StatusCode);
            }

            Assert.Equal(0, Kill(balancer, BalancerProcess.SIGHUP));
            using var held = await SocketExtensions.ConnectToAsync(listener); // drained backend: closed, counted no_backend
            await held.WaitForCloseAsync(Deadline.After());

            // A binary upgrade under the same trace (strace -f follows the new process): fork/exec, the
            // SCM_RIGHTS handover, then the successor's MAINPID= with READY=1. The old process drains and exits.
            Assert.Equal(0, Kill(balancer, BalancerProcess.SIGUSR2));
            // (The SIGHUP's RELOADING=1/READY=1 may still be on its way: skip to the successor's message.)
            string tookOver;
            do
            {
                tookOver = await notify.ReceiveAsync(TimeSpan.FromSeconds(120));
            }
            while (!tookOver.StartsWith("MAINPID=", StringComparison.Ordinal));

            Assert.Contains("\nREADY=1\n", tookOver);
            var successor = int.Parse(Regex.Match(tookOver, @"^MAINPID=(\d+)$", RegexOptions.Multiline).Groups[1].Value);
            Assert.NotEqual(balancer, successor);

            // The drain carried over: still closed, until undrained through the admin socket the successor now holds.
            // The successor's first connection JITs the whole flow under strace -f; on a loaded CI machine
            // that took over 30 s once (the READY wait above allows 120 s for the same reason).
            using (var stillDrained = await SocketExtensions.ConnectToAsync(listener))
            {
                await stillDrained.WaitForCloseAsync(Deadline.After(TimeSpan.FromSeconds(120)));
            }

            using (var undrain = await http.PostAsync($"/api/tenants/t1/backends/{Uri.EscapeDataString(backend.Address)}/undrain", null))
            {
                Assert.Equal(HttpStatusCode.OK, undrain.StatusCode);
            }

            using (var client = await SocketExtensions.ConnectToAsync(listener))
            {
                await client.SendTextAsync("traced again\n", Deadline.After());
                Assert.Equal("traced again", await client.ReadLineAsync(Deadline.After()));
            }

            Assert.Equal(0, Kill(successor, BalancerProcess.SIGTERM));
            await notify.ReceiveUntilAsync("STOPPING=1", TimeSpan.FromSeconds(60));
            await strace.WaitForExitAsync(Deadline.After(TimeSpan.FromSeconds(120)));
        }
        finally
        {
            if (!strace.HasExited)
            {
                strace.Kill(entireProcessTree: true);
            }
        }

        var lines = await File.ReadAllLinesAsync(trace);
        var used = lines.Select(l => SyscallLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Contains(used, call => call is "clone" or "clone3"); // the runtime's threads: proof the trace followed them
        if (!BalancerProcess.IsNativeAot)
        {
            // The call that ~@resources would have denied: the JIT runtime's thread start. (A Native AOT
            // build does not make it, and does not need the filter relaxed; the unit serves both builds.)
            Assert.Contains("sched_setaffinity", used);
        }

        Assert.Contains("accept4", used);

        var allowed = await AllowedSyscallsAsync();
        Assert.True(used.IsSubsetOf(allowed), "denied by the unit's SystemCallFilter: " + string.Join(", ", used.Except(allowed).Order()));

        var families = lines.Select(l => SocketFamily().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        var permitted = Setting("RestrictAddressFamilies").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.Contains("AF_INET", families);
        Assert.True(families.IsSubsetOf(permitted), "socket families outside RestrictAddressFamilies: " + string.Join(", ", families.Except(permitted)));

        Directory.Delete(dir, recursive: true);
        File.Delete(config);
    }

    /// <summary>The unit's filter: the union of its allow lines minus the union of its "~" lines, groups expanded by systemd itself.</summary>
    private static async Task<HashSet<string>> AllowedSyscallsAsync()
    {
        var allow = new HashSet<string>();
        var deny = new HashSet<string>();
        foreach (var (_, value) in Settings().Where(s => s.Key == "SystemCallFilter"))
        {
            var target = value.StartsWith('~') ? deny : allow;
            foreach (var item in value.TrimStart('~').Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                target.UnionWith(await ExpandAsync(item));
            }
        }

        allow.ExceptWith(deny);
        return allow;
    }

    private static async Task<HashSet<string>> ExpandAsync(string item)
    {
        if (!item.StartsWith('@'))
        {
            return [item];
        }

        var (code, output, errors) = await ExternalTool.RunAsync(SystemdAnalyzeFactAttribute.Path!, ["syscall-filter", "--no-pager", item]);
        Assert.True(code == 0, $"systemd-analyze syscall-filter {item}: {errors}");
        var names = new HashSet<string>();
        foreach (var line in output.Split('\n').Skip(1).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            names.UnionWith(await ExpandAsync(line));
        }

        return names;
    }

    /// <summary>The process strace started (its only child).</summary>
    private static int TracedChild(int stracePid)
    {
        var children = File.ReadAllText($"/proc/{stracePid}/task/{stracePid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(children.Single());
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [GeneratedRegex(@"^\d+\s+([a-z0-9_]+)\(")]
    private static partial Regex SyscallLine();

    [GeneratedRegex(@"^\d+\s+socket\((AF_[A-Z0-9]+)")]
    private static partial Regex SocketFamily();
}
