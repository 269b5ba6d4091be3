using System.Net.Sockets;
using L4Balancer.Core.Runtime;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace L4Balancer.IntegrationTests.Lifecycle;

public class DrainTests
{
    private static async Task<(Socket Client, string Backend)> ConnectAsync(BalancerHarness balancer)
    {
        var client = await balancer.ConnectAsync();
        return (client, await client.ReadLineAsync(Deadline.After()));
    }

    [Fact]
    public async Task A_drained_backend_gets_no_new_connections_keeps_its_open_ones_stays_drained_across_reloads_and_returns_when_undrained()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(a), TestConfigs.Backend(b)]);
        await using var balancer = await BalancerHarness.StartAsync(config);
        var clients = new List<Socket>();
        Socket? onA = null;
        while (onA is null)
        {
            var (client, name) = await ConnectAsync(balancer);
            clients.Add(client);
            onA = name == "a" ? client : null;
        }

        Assert.True(balancer.Engine.SetDraining(TestConfigs.TenantName, a.Address, draining: true).Applied);
        var stateA = balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(a.Address)!;
        Assert.True(stateA.IsDraining);

        for (var i = 0; i < 3; i++)
        {
            var (client, name) = await ConnectAsync(balancer);
            clients.Add(client);
            Assert.Equal("b", name); // even though b now has more connections than a
        }

        await onA.SendTextAsync("still served\n", Deadline.After());
        Assert.Equal("still served", await onA.ReadLineAsync(Deadline.After()));

        // An admin's drain is intent: a reload (here one that changes a's weight) does not undo it.
        var reweighted = config with { Tenants = [config.Tenants[0] with { Backends = [TestConfigs.Backend(a, weight: 10), TestConfigs.Backend(b)] }] };
        Assert.True((await balancer.Engine.ReloadAsync(reweighted)).Succeeded);
        Assert.True(stateA.IsDraining);
        var (afterReload, backend) = await ConnectAsync(balancer);
        clients.Add(afterReload);
        Assert.Equal("b", backend);

        Assert.True(balancer.Engine.SetDraining(TestConfigs.TenantName, a.Address.ToUpperInvariant(), draining: false).Applied);
        var (undrained, again) = await ConnectAsync(balancer);
        clients.Add(undrained);
        Assert.Equal("a", again); // weight 10 and fewer connections
        Assert.Contains(balancer.Logs.Entries, e => e.Message.Contains($"backend {a.Address} draining"));
        Assert.Contains(balancer.Logs.Entries, e => e.Message.Contains($"backend {a.Address} back in rotation (undrained)"));

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Draining_an_unknown_tenant_or_backend_says_so()
    {
        await using var a = TestBackend.Echo();
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(a));

        Assert.Equal(DrainStatus.NoSuchTenant, balancer.Engine.SetDraining("nobody", a.Address, draining: true).Status);
        Assert.Equal(DrainStatus.NoSuchBackend, balancer.Engine.SetDraining(TestConfigs.TenantName, "127.0.0.1:1", draining: true).Status);

        // Known, already in rotation: applied, and the answer carries the backend.
        var undrained = balancer.Engine.SetDraining(TestConfigs.TenantName, a.Address, draining: false);
        Assert.Equal(DrainStatus.Applied, undrained.Status);
        Assert.Same(balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends.Single(), undrained.Backend);
    }

    [Fact]
    public async Task Draining_before_the_engine_has_started_says_so()
    {
        await using var engine = new BalancerEngine(NullLoggerFactory.Instance, TimeProvider.System);

        Assert.Equal(DrainStatus.NotStarted, engine.SetDraining(TestConfigs.TenantName, "127.0.0.1:1", draining: true).Status);
    }
}
