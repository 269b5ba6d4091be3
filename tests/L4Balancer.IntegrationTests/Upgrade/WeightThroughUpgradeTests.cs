using System.Net;
using System.Text.Json;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Issue 17: a weight set through the admin API is handed to the new process by a binary upgrade, like a
/// drain, and cleared there if the config it reads changes that backend's configured weight (a reload's rule).
/// </summary>
[Collection(UpgradeCollection.Name)]
public class WeightThroughUpgradeTests
{
    private static async Task<JsonElement> BackendAsync(UpgradeRig rig, string address) =>
        (await rig.Admin.TenantAsync(UpgradeConfigs.Tenant)).GetProperty("backends").EnumerateArray()
            .Single(b => b.GetProperty("address").GetString() == address);

    [Fact]
    public async Task A_weight_survives_an_upgrade_and_goes_when_the_new_config_changes_the_configured_weight()
    {
        await using var out_ = GreetingBackend.Start("out");
        await using var open = GreetingBackend.Start("open");
        var ports = UpgradePorts.Free();
        var body = UpgradeConfigs.Body(ports, [out_.EndPoint, open.EndPoint]);
        await using var rig = await UpgradeRig.StartAsync(body, ports);

        await rig.Admin.SetWeightAsync(UpgradeConfigs.Tenant, out_.Address, 0);
        await rig.Admin.SetWeightAsync(UpgradeConfigs.Tenant, open.Address, 9);

        var first = await rig.UpgradeAsync();
        Assert.True(first.Succeeded, first.Line);
        Assert.Equal(0, (await BackendAsync(rig, out_.Address)).GetProperty("weight_override").GetInt32());
        Assert.Equal(9, (await BackendAsync(rig, open.Address)).GetProperty("weight_override").GetInt32());
        for (var i = 0; i < 5; i++)
        {
            using var client = await SocketExtensions.ConnectToAsync(ports.Plain);
            var greeting = await client.ReadLineAsync(Deadline.After());
            Assert.True(greeting.StartsWith("open ", StringComparison.Ordinal), $"connection {i} after the upgrade greeted by \"{greeting}\"");
        }

        Assert.Equal(0, out_.Total);

        // The next process reads a config giving "out" weight 2: its override goes, "open"'s stays.
        await rig.WriteConfigAsync(body.Replace($"address = \"{out_.EndPoint}\"", $"address = \"{out_.EndPoint}\"\nweight = 2", StringComparison.Ordinal));
        var second = await rig.UpgradeAsync();
        Assert.True(second.Succeeded, second.Line);
        var after = await BackendAsync(rig, out_.Address);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("weight_override").ValueKind);
        Assert.Equal(2, after.GetProperty("effective_weight").GetInt32());
        Assert.Equal(9, (await BackendAsync(rig, open.Address)).GetProperty("weight_override").GetInt32());
        Assert.Equal(0, await rig.StopAsync());
    }
}
