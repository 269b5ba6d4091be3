using System.Net.Sockets;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Lifecycle;

public class HealthCheckTests
{
    private static readonly HealthConfig Checks = new() { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(2), Rise = 2, Fall = 3 };

    private static async Task<(Socket Client, string Backend)> ConnectAsync(BalancerHarness balancer)
    {
        var client = await balancer.ConnectAsync();
        return (client, await client.ReadLineAsync(Deadline.After()));
    }

    /// <summary>Advances fake time by one interval and waits (really) for that round's check of <paramref name="backend"/> to land.</summary>
    private static async Task NextRoundAsync(FakeTimeProvider time, BackendState backend)
    {
        var before = backend.HealthChecks;
        time.Advance(Checks.Interval);
        await Deadline.UntilAsync(() => backend.HealthChecks > before, because: "the health check round to finish");
    }

    [Fact]
    public async Task Backend_that_stops_listening_is_down_within_fall_intervals_gets_no_connections_and_returns_when_it_recovers()
    {
        var time = new FakeTimeProvider();
        await using var a = RestartableBackend.Start("a");
        await using var b = TestBackend.Named("b");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(a.EndPoint), TestConfigs.Backend(b)], tenant: t => t with { Health = Checks });
        await using var balancer = await BalancerHarness.StartAsync(config, time);
        var stateA = balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(a.Address)!;
        await Deadline.UntilAsync(() => stateA.HealthChecks == 1, because: "the first round runs at start");
        Assert.True(stateA.IsUp);

        await a.StopAsync();
        await NextRoundAsync(time, stateA);
        await NextRoundAsync(time, stateA);
        Assert.True(stateA.IsUp); // fall - 1 failures: still up
        await NextRoundAsync(time, stateA); // fall × interval after it stopped listening
        Assert.False(stateA.IsUp);
        Assert.Contains(balancer.Logs.Entries, e => e.Message.Contains($"backend {a.Address} is down: 3 consecutive health checks failed"));

        // Down: no connection is even attempted (a refused attempt would count a connect failure).
        var clients = new List<Socket>();
        for (var i = 0; i < 4; i++)
        {
            var (client, backend) = await ConnectAsync(balancer);
            clients.Add(client);
            Assert.Equal("b", backend);
        }

        Assert.Equal(0, stateA.ConnectFailures);
        Assert.Equal(0, stateA.TotalConnections);

        a.Restart();
        await NextRoundAsync(time, stateA);
        Assert.False(stateA.IsUp); // rise is 2
        await NextRoundAsync(time, stateA);
        Assert.True(stateA.IsUp);

        // b holds four connections, a none: least connections sends the next one to a.
        var (again, name) = await ConnectAsync(balancer);
        clients.Add(again);
        Assert.Equal("a", name);
        await again.SendTextAsync("still echoing\n", Deadline.After());
        Assert.Equal("still echoing", await again.ReadLineAsync(Deadline.After()));

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Connect_failures_of_client_connections_mark_a_backend_down_and_it_is_retried_after_interval()
    {
        var time = new FakeTimeProvider();
        await using var a = RestartableBackend.Start("a");
        await a.StopAsync(); // a known port that refuses
        await using var b = TestBackend.Named("b");

        // No [tenant.health]: passive only, fall 3 and a retry after 5 s (the table's defaults).
        var config = TestConfigs.PortRouted([TestConfigs.Backend(a.EndPoint), TestConfigs.Backend(b)]);
        await using var balancer = await BalancerHarness.StartAsync(config, time);
        var stateA = balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(a.Address)!;

        var clients = new List<Socket>();
        while (stateA.IsUp)
        {
            Assert.True(clients.Count < 10, "a refused backend must be marked down by its third failure");
            var (client, backend) = await ConnectAsync(balancer);
            clients.Add(client);
            Assert.Equal("b", backend); // every failed connect was retried on b
        }

        Assert.Equal(3, stateA.ConnectFailures);
        Assert.Equal(0, stateA.HealthChecks); // passive: no probes of our own
        for (var i = 0; i < 3; i++)
        {
            var (client, backend) = await ConnectAsync(balancer);
            clients.Add(client);
            Assert.Equal("b", backend);
        }

        Assert.Equal(3, stateA.ConnectFailures); // down: not tried

        a.Restart();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(stateA.IsUp);
        var (retried, name) = await ConnectAsync(balancer);
        clients.Add(retried);
        Assert.Equal("a", name);
        Assert.Equal(0, stateA.ConsecutiveFailures);

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_reload_starts_retunes_and_stops_active_checks_and_health_survives_it()
    {
        var time = new FakeTimeProvider();
        await using var a = RestartableBackend.Start("a");
        await a.StopAsync();
        await using var b = TestBackend.Named("b");
        var passiveOnly = TestConfigs.PortRouted([TestConfigs.Backend(a.EndPoint), TestConfigs.Backend(b)]);
        await using var balancer = await BalancerHarness.StartAsync(passiveOnly, time);
        var stateA = balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(a.Address)!;
        Assert.Empty(balancer.Engine.Health.CheckedTenants);

        // Adding [tenant.health] starts checks, with a round at once: fall 1 marks a down on it.
        var withChecks = passiveOnly with { Tenants = [passiveOnly.Tenants[0] with { Health = Checks with { Fall = 1 } }] };
        Assert.True((await balancer.Engine.ReloadAsync(withChecks)).Succeeded);
        Assert.Equal([TestConfigs.TenantName], balancer.Engine.Health.CheckedTenants);
        await Deadline.UntilAsync(() => !stateA.IsUp, because: "the first round to mark the refusing backend down");

        // A reload that leaves the table alone keeps the checks (and a's health) as they are.
        var extraListener = withChecks with { Listeners = [.. withChecks.Listeners, withChecks.Listeners[0] with { Name = "extra" }] };
        var checksBefore = stateA.HealthChecks;
        Assert.True((await balancer.Engine.ReloadAsync(extraListener)).Succeeded);
        Assert.False(stateA.IsUp);
        Assert.Equal(checksBefore, stateA.HealthChecks); // not restarted: no extra round
        using var onB = await balancer.ConnectAsync("extra"); // held open: b has one connection, a none
        Assert.Equal("b", await onB.ReadLineAsync(Deadline.After()));

        // Removing the table stops the checks; the passive retry then brings a back after 5 s.
        Assert.True((await balancer.Engine.ReloadAsync(passiveOnly)).Succeeded);
        Assert.Empty(balancer.Engine.Health.CheckedTenants);
        a.Restart();
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(stateA.IsUp);
        using var onA = await balancer.ConnectAsync();
        Assert.Equal("a", await onA.ReadLineAsync(Deadline.After()));
        Assert.Equal(checksBefore, stateA.HealthChecks);
    }
}
