using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>Issue 12: SIGTERM while an upgrade runs calls it off: the new process goes, the old one drains and exits 0 as on any SIGTERM.</summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeCalledOffTests
{
    [Fact]
    public async Task Sigterm_during_an_upgrade_kills_the_new_process_and_stops_as_usual()
    {
        await using var backend = GreetingBackend.Start("A");
        using var notify = NotifySocket.AtPath();
        var ports = UpgradePorts.Free();
        await using var rig = await UpgradeRig.StartAsync(UpgradeConfigs.Body(ports, [backend.EndPoint]), ports, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address });
        await notify.ReceiveUntilAsync("READY=1");
        var first = rig.First.Id;

        // The new process needs about a second to start (.NET start-up): SIGTERM lands well before it is ready.
        var outcome = await rig.UpgradeAsync(whileStarting: () =>
        {
            rig.Signal(first, Pids.SIGTERM);
            return Task.CompletedTask;
        });

        Assert.False(outcome.Succeeded, outcome.Line);
        Assert.Contains("this process is shutting down", outcome.Line);
        await rig.ExitCodeAsync(outcome.NewPid); // killed (and reaped by its parent, or by the test)
        Assert.Equal(0, await rig.ExitCodeAsync(first));
        Assert.Empty(rig.First.Matches("upgrade: took over from pid"));

        // systemd heard the old process stop, and never a MAINPID= from the new one.
        var messages = await notify.ReceiveUntilAsync("STOPPING=1");
        while (notify.HasPending)
        {
            messages.Add(await notify.ReceiveAsync());
        }

        Assert.DoesNotContain(messages, m => m.Contains("MAINPID=", StringComparison.Ordinal));
    }
}
