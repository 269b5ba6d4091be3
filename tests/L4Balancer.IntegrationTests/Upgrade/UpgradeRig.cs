using System.Diagnostics;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.IntegrationTests.Ops;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// A balancer started by the test (<see cref="First"/>) and every process that took over from it by
/// SIGUSR2. Those are not the test's children, so each is held by a <see cref="PidWatch"/> from the
/// moment the log names it; the test process is their subreaper, so the exit status of one whose
/// parent already exited can be read. Disposal kills whatever still runs.
/// </summary>
internal sealed class UpgradeRig : IAsyncDisposable
{
    public const string StartedPattern = @"upgrade: started pid (\d+) \((.+)\)";
    public const string EndedPattern = @"upgrade: (?:handed over to pid (?<pid>\d+) \(generation (?<generation>\d+)\); draining (?<draining>\d+) connection|failed: (?<reason>.*))";
    public const string RefusedPattern = @"upgrade: refused: (.+)";

    private readonly Dictionary<int, PidWatch> _watches = [];

    private UpgradeRig(BalancerProcess first, UpgradePorts ports, string configPath, string token)
    {
        First = first;
        Ports = ports;
        ConfigPath = configPath;
        Admin = new UpgradeAdmin(ports.Admin, token);
        ServingPid = first.Id;
    }

    /// <summary>The process the test started; all later ones write to its output.</summary>
    public BalancerProcess First { get; }

    public UpgradePorts Ports { get; }

    public string ConfigPath { get; }

    public UpgradeAdmin Admin { get; }

    /// <summary>The process that last took over (or <see cref="First"/>).</summary>
    public int ServingPid { get; private set; }

    /// <summary>Every balancer pid learned so far, the first one included.</summary>
    public IReadOnlyList<int> KnownPids
    {
        get
        {
            lock (_watches)
            {
                return [First.Id, .. _watches.Keys];
            }
        }
    }

    /// <summary>
    /// Starts <c>run --config</c> on <paramref name="configBody"/> (through <paramref name="executable"/>
    /// when given, else <c>dotnet l4balancer.dll</c>) and waits until both listeners and the admin
    /// endpoint accept.
    /// </summary>
    public static async Task<UpgradeRig> StartAsync(string configBody, UpgradePorts ports, IDictionary<string, string>? environment = null, string? executable = null)
    {
        Assert.True(Pids.EnsureSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER) failed: the exit status of an orphaned successor could not be read");
        var path = await OpsConfigs.WriteAsync(configBody);
        var token = Guid.NewGuid().ToString("N");
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { [UpgradeConfigs.TokenVariable] = token };
        var process = executable is null
            ? BalancerProcess.Start(env, "run", "--config", path)
            : BalancerProcess.StartExecutable(executable, env, "run", "--config", path);
        var rig = new UpgradeRig(process, ports, path, token);
        try
        {
            await process.WaitForLineAsync("admin endpoint listening on");
            await process.WaitForLineAsync("listener plain accepting on");
            await process.WaitForLineAsync("listener tls accepting on");
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }

        return rig;
    }

    public Task WriteConfigAsync(string body) => File.WriteAllTextAsync(ConfigPath, body);

    /// <summary>
    /// Sends SIGUSR2 to the serving process and waits for the outcome of the upgrade it starts:
    /// "handed over" (then also for the new process's "took over" line, with the same generation) or
    /// "failed". <paramref name="whileStarting"/> runs once the new process is logged as started.
    /// </summary>
    public async Task<UpgradeOutcome> UpgradeAsync(Func<Task>? whileStarting = null, TimeSpan? timeout = null)
    {
        var from = ServingPid;
        var started = First.Matches(StartedPattern).Count;
        var ended = First.Matches(EndedPattern).Count;
        var signalledAt = Stopwatch.GetTimestamp();
        Signal(from, Pids.SIGUSR2);

        var newPid = int.Parse((await First.WaitForMatchesAsync(StartedPattern, started + 1, timeout))[started].Groups[1].Value);
        Watch(newPid);
        if (whileStarting is not null)
        {
            await whileStarting();
        }

        var end = (await First.WaitForMatchesAsync(EndedPattern, ended + 1, timeout))[ended];
        if (end.Groups["reason"].Success)
        {
            return new UpgradeOutcome(from, newPid, false, null, end.Value, signalledAt, Stopwatch.GetTimestamp());
        }

        var endedAt = Stopwatch.GetTimestamp();
        Assert.True(newPid == int.Parse(end.Groups["pid"].Value), $"started pid {newPid} but handed over to another: {end.Value}");
        var generation = long.Parse(end.Groups["generation"].Value);
        await First.WaitForLineAsync($@"upgrade: took over from pid {from} \(generation {generation}\)", timeout);
        ServingPid = newPid;
        return new UpgradeOutcome(from, newPid, true, generation, end.Value, signalledAt, endedAt);
    }

    public void Signal(int pid, int signal)
    {
        if (pid == First.Id)
        {
            First.Signal(signal);
            return;
        }

        Assert.True(WatchOf(pid).Signal(signal), $"process {pid} exited before signal {signal}");
    }

    /// <summary>
    /// Completes when <paramref name="pid"/> has exited, with its exit code; null when its parent (a
    /// balancer still running) reaped it, so the test cannot know it.
    /// </summary>
    public async Task<int?> ExitOf(int pid) => pid == First.Id ? await First.ExitedAsync(CancellationToken.None) : await WatchOf(pid).Exited;

    public async Task<int?> ExitCodeAsync(int pid, TimeSpan? timeout = null)
    {
        var within = timeout ?? Deadline.Default;
        try
        {
            return await ExitOf(pid).WaitAsync(within);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"balancer {pid} did not exit within {within.TotalSeconds} s:\n{First.Transcript()}");
        }
    }

    /// <summary>SIGTERM to the serving process; its exit code.</summary>
    public async Task<int?> StopAsync()
    {
        Signal(ServingPid, Pids.SIGTERM);
        return await ExitCodeAsync(ServingPid);
    }

    private PidWatch Watch(int pid)
    {
        lock (_watches)
        {
            if (!_watches.TryGetValue(pid, out var watch))
            {
                watch = PidWatch.Open(pid);
                _watches.Add(pid, watch);
            }

            return watch;
        }
    }

    private PidWatch WatchOf(int pid)
    {
        lock (_watches)
        {
            return _watches.TryGetValue(pid, out var watch) ? watch : throw new InvalidOperationException($"pid {pid} is not one this test learned");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        List<PidWatch> watches;
        lock (_watches)
        {
            watches = [.. _watches.Values];
        }

        foreach (var watch in watches)
        {
            await watch.DisposeAsync();
        }

        await First.DisposeAsync();
        File.Delete(ConfigPath);
    }
}
