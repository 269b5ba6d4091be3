using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>Issue 12: a second SIGUSR2 while an upgrade runs is refused (logged, counted); only one new process results.</summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeRefusalTests
{
    [Fact]
    public async Task A_second_sigusr2_during_an_upgrade_is_refused_and_one_new_process_serves()
    {
        await using var backend = GreetingBackend.Start("A");
        var ports = UpgradePorts.Free();
        await using var rig = await UpgradeRig.StartAsync(UpgradeConfigs.Body(ports, [backend.EndPoint]), ports);
        var first = rig.First.Id;

        // The second signal goes once the first has started the new process: two kill()s in the same
        // instant could merge into one pending SIGUSR2, which would test the kernel, not the balancer.
        var outcome = await rig.UpgradeAsync(whileStarting: async () =>
        {
            rig.Signal(first, Pids.SIGUSR2);
            await rig.First.WaitForLineAsync(UpgradeRig.RefusedPattern);
        });
        Assert.True(outcome.Succeeded, outcome.Line);
        Assert.Equal(0, await rig.ExitCodeAsync(first));

        Assert.True(rig.First.Matches("upgrade: (refused|handed over)")[0].Groups[1].Value == "refused", "the refusal came after the hand-over: the second signal was not during the upgrade");
        Assert.Single(rig.First.Matches(UpgradeRig.StartedPattern));
        Assert.Single(rig.First.Matches(UpgradeRig.RefusedPattern));
        Assert.Single(rig.First.Matches(@"upgrade: took over from pid"));
        var status = await rig.Admin.StatusAsync();
        Assert.True(status.Pid == outcome.NewPid && status.UpgradesOk == 1 && status.UpgradesError == 1, $"one upgrade and the refusal before it counted, and carried over: {status}");
        var metrics = await rig.Admin.MetricsAsync();
        Assert.Equal(1, metrics.Get("l4lb_upgrades_total", ("result", "ok")));
        Assert.Equal(1, metrics.Get("l4lb_upgrades_total", ("result", "error")));

        using (var client = await SocketExtensions.ConnectToAsync(ports.Plain))
        {
            Assert.StartsWith("A ", await client.ReadLineAsync(Deadline.After()));
        }

        Assert.Equal(0, await rig.StopAsync());
    }
}
