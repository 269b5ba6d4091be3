using System.Diagnostics;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Issue 12 with a replaced binary that is broken: the balancer runs from a copy of its build output
/// through the apphost, the apphost is replaced on disk (rename over it) by a script that crashes or
/// hangs, and SIGUSR2 starts that. The old process logs the failure, counts it, kills a hung successor
/// and keeps serving new connections.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class BrokenBinaryUpgradeTests
{
    private static async Task AssertServesAsync(UpgradeRig rig)
    {
        using var client = await SocketExtensions.ConnectToAsync(rig.Ports.Plain);
        Assert.StartsWith("A ", await client.ReadLineAsync(Deadline.After()));
    }

    private static async Task<UpgradeOutcome> UpgradeToScriptAsync(UpgradeRig rig, BalancerCopy copy, string script)
    {
        var status = await rig.Admin.StatusAsync();
        Assert.Equal(rig.First.Id, status.Pid);
        await AssertServesAsync(rig);

        copy.ReplaceExecutable(script);
        var outcome = await rig.UpgradeAsync();
        Assert.False(outcome.Succeeded, outcome.Line);
        Assert.Matches($@"upgrade: started pid {outcome.NewPid} \({System.Text.RegularExpressions.Regex.Escape(copy.Executable)}\)", rig.First.Matches(UpgradeRig.StartedPattern)[^1].Value);

        var after = await rig.Admin.StatusAsync();
        Assert.True(after.Pid == rig.First.Id && after.Generation == status.Generation && after.UpgradesError == 1 && after.UpgradesOk == 0, $"the failure counted, nothing else changed: {after}");
        var metrics = await rig.Admin.MetricsAsync();
        Assert.Equal(1, metrics.Get("l4lb_upgrades_total", ("result", "error")));
        await AssertServesAsync(rig);
        Assert.False(rig.First.HasExited);
        return outcome;
    }

    [Fact]
    public async Task A_new_binary_that_crashes_is_reported_and_the_old_process_keeps_serving()
    {
        await using var backend = GreetingBackend.Start("A");
        using var copy = BalancerCopy.Create();
        var ports = UpgradePorts.Free();
        await using var rig = await UpgradeRig.StartAsync(UpgradeConfigs.Body(ports, [backend.EndPoint]), ports, executable: copy.Executable);

        var outcome = await UpgradeToScriptAsync(rig, copy, "#!/bin/sh\nexit 3\n");
        Assert.Contains("exited with code 3", outcome.Line, StringComparison.Ordinal);
        Assert.Equal(0, await rig.StopAsync());
    }

    [Fact]
    public async Task A_new_binary_that_never_gets_ready_is_killed_after_upgrade_timeout_and_the_old_process_keeps_serving()
    {
        await using var backend = GreetingBackend.Start("A");
        using var copy = BalancerCopy.Create();
        var ports = UpgradePorts.Free();
        await using var rig = await UpgradeRig.StartAsync(UpgradeConfigs.Body(ports, [backend.EndPoint], upgradeTimeout: "2s"), ports, executable: copy.Executable);

        var outcome = await UpgradeToScriptAsync(rig, copy, "#!/bin/sh\nexec sleep 300\n");
        Assert.Contains("not ready within", outcome.Line, StringComparison.Ordinal);
        Assert.True(Stopwatch.GetElapsedTime(outcome.SignalledAt, outcome.EndedAt) >= TimeSpan.FromSeconds(1.5), "gave up before upgrade_timeout");
        await rig.ExitCodeAsync(outcome.NewPid, TimeSpan.FromSeconds(5)); // the hung process is gone
        Assert.Equal(0, await rig.StopAsync());
    }
}
