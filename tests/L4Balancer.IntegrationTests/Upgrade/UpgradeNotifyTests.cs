using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Issue 12 and systemd (NotifyAccess=all), with the test's datagram socket as NOTIFY_SOCKET: the new
/// process announces itself in one datagram, MAINPID=&lt;its pid&gt; before READY=1; the old one sends no
/// STOPPING=1 after the hand-over (that would stop the unit); the new one sends STOPPING=1 on SIGTERM.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeNotifyTests
{
    private static List<string> Lines(string datagram) => [.. datagram.Split('\n')];

    [Fact]
    public async Task The_new_process_sends_mainpid_then_ready_and_the_old_one_no_stopping()
    {
        await using var backend = GreetingBackend.Start("A");
        using var notify = NotifySocket.AtPath();
        var ports = UpgradePorts.Free();
        await using var rig = await UpgradeRig.StartAsync(UpgradeConfigs.Body(ports, [backend.EndPoint]), ports, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address });
        var before = await notify.ReceiveUntilAsync("READY=1");
        Assert.DoesNotContain(before, m => m.Contains("MAINPID=", StringComparison.Ordinal));

        var outcome = await rig.UpgradeAsync();
        Assert.True(outcome.Succeeded, outcome.Line);
        var status = await rig.Admin.StatusAsync();
        Assert.Equal(outcome.NewPid, status.Pid);

        // Once the old process has exited, whatever it sent is queued here.
        Assert.Equal(0, await rig.ExitCodeAsync(rig.First.Id));
        var after = await notify.ReceiveUntilAsync("READY=1");
        while (notify.HasPending)
        {
            after.Add(await notify.ReceiveAsync());
        }

        var announcements = after.Where(m => Lines(m).Contains("READY=1")).ToList();
        Assert.True(announcements.Count == 1, $"one READY=1 from the new process, got:\n{string.Join("\n--\n", after)}");
        var lines = Lines(announcements[0]);
        var mainPid = lines.FindIndex(l => l.StartsWith("MAINPID=", StringComparison.Ordinal));
        Assert.True(mainPid >= 0 && mainPid < lines.IndexOf("READY=1"), $"MAINPID= before READY=1 in one datagram: \"{announcements[0]}\"");
        Assert.Equal($"MAINPID={outcome.NewPid}", lines[mainPid]);
        Assert.DoesNotContain(after, m => Lines(m).Contains("STOPPING=1"));

        rig.Signal(outcome.NewPid, Pids.SIGTERM);
        var stopping = await notify.ReceiveUntilAsync("STOPPING=1");
        Assert.DoesNotContain(stopping.SkipLast(1), m => Lines(m).Contains("READY=1"));
        Assert.Equal(0, await rig.ExitCodeAsync(outcome.NewPid));
    }
}
