using System.Diagnostics;
using System.Net.Http;
using System.Text.Json;
using L4Balancer.Core.Limits;
using L4Balancer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Cluster;

/// <summary>The fleet's membership (issue 15): a killed instance's share returns; a drain on one instance reaches all.</summary>
public sealed class FleetMembershipTests(ITestOutputHelper output)
{
    [RedisFact]
    public async Task An_instance_killed_with_SIGKILL_leaves_its_share_to_the_others_within_four_sync_intervals()
    {
        await using var fleet = await Fleet.StartAsync();
        var interval = TimeSpan.FromMilliseconds(500);
        var survivor = await fleet.AddAsync(fleet.Config("survivor", interval, t => t with { MaxConnections = 20 }));

        // The other instance is a real process, so that it can die without a word.
        var directory = Directory.CreateTempSubdirectory("l4b-fleet-").FullName;
        var configPath = Path.Combine(directory, "balancer.toml");
        await File.WriteAllTextAsync(configPath, $"""
            [cluster]
            redis = "{fleet.Redis.Address}"
            instance = "victim"
            sync_interval = "{interval.TotalMilliseconds}ms"
            key_prefix = "{fleet.Prefix}"

            [[listener]]
            name = "{TestConfigs.ListenerName}"
            bind = "127.0.0.1:0"
            tenant = "{TestConfigs.TenantName}"

            [[tenant]]
            name = "{TestConfigs.TenantName}"
            max_connections = 20

            [[tenant.backend]]
            address = "{fleet.Backend.Address}"
            """);
        await using var victim = BalancerProcess.Start("run", "--config", configPath);
        try
        {
            await Deadline.UntilAsync(
                () => survivor.Engine.GetClusterStatus()!.Members.Count == 2 && Fleet.Share(survivor) is { Mode: FleetShareMode.Lease, ConnectionCap: 10 },
                TimeSpan.FromSeconds(20), "the survivor shares the limit with the victim:\n" + victim.Transcript(40));

            var clock = Stopwatch.StartNew();
            Process.GetProcessById(victim.Id).Kill(); // SIGKILL: no goodbye to Redis
            await Deadline.UntilAsync(() => Fleet.Share(survivor).ConnectionCap == 20 && survivor.Engine.GetClusterStatus()!.Members.Count == 1, TimeSpan.FromSeconds(15), "the survivor gets the whole limit");
            var returned = clock.Elapsed;

            // Redis forgets the victim 3 intervals after its last sync; the survivor's next sync takes the share.
            var bound = interval * 4;
            output.WriteLine($"share returned {returned.TotalMilliseconds:0} ms after SIGKILL (bound {bound.TotalMilliseconds:0} ms, sync_interval {interval.TotalMilliseconds:0} ms)");
            Assert.True(returned < bound + interval, $"share returned after {returned.TotalMilliseconds:0} ms; the documented bound is {bound.TotalMilliseconds:0} ms");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [RedisFact]
    public async Task A_drain_through_one_instances_admin_api_reaches_the_other_two_within_a_second_and_a_late_starter()
    {
        await using var fleet = await Fleet.StartAsync();
        var interval = TimeSpan.FromSeconds(1); // longer than the bound: the message, not a sync, must carry it
        await using var admin = await AdminHarness.StartAsync(fleet.Config("a", interval, t => t));
        var b = await fleet.AddAsync(fleet.Config("b", interval, t => t));
        var c = await fleet.AddAsync(fleet.Config("c", interval, t => t));
        await Deadline.UntilAsync(() => admin.Balancer.Engine.GetClusterStatus()!.Members.Count == 3 && b.Engine.GetClusterStatus()!.Members.Count == 3, TimeSpan.FromSeconds(15), "three members");
        var address = fleet.Backend.Address;
        var path = $"/api/tenants/{TestConfigs.TenantName}/backends/{Uri.EscapeDataString(address)}";

        var clock = Stopwatch.StartNew();
        using (var response = await admin.SendAsync(HttpMethod.Post, path + "/drain"))
        {
            Assert.True(response.IsSuccessStatusCode, $"drain: {(int)response.StatusCode}");
        }

        await Deadline.UntilAsync(() => Draining(b) && Draining(c), TimeSpan.FromSeconds(5), "b and c drain");
        output.WriteLine($"drain seen by b and c after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the fleet-wide drain took {clock.ElapsedMilliseconds} ms");
        Assert.Contains(b.Logs.Messages("L4Balancer.Cluster"), m => m.Contains("drained by the fleet", StringComparison.Ordinal));

        // An instance that starts later finds the drain in Redis at its first sync.
        var late = await fleet.AddAsync(fleet.Config("late", interval, t => t));
        Assert.True(Draining(late), "the late starter applied the fleet's drain before accepting");

        clock.Restart();
        using (var response = await admin.SendAsync(HttpMethod.Post, path + "/undrain"))
        {
            Assert.True(response.IsSuccessStatusCode, $"undrain: {(int)response.StatusCode}");
        }

        await Deadline.UntilAsync(() => !Draining(b) && !Draining(c) && !Draining(late), TimeSpan.FromSeconds(5), "everyone undrains");
        output.WriteLine($"undrain seen after {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the fleet-wide undrain took {clock.ElapsedMilliseconds} ms");

        // The status shows the fleet: who is live (as of a's last sync), and that Redis answers.
        await Deadline.UntilAsync(() => admin.Balancer.Engine.GetClusterStatus()!.Members.Count == 4, TimeSpan.FromSeconds(5), "a sees the late starter");
        using var status = JsonDocument.Parse(await admin.GetStringAsync("/api/status"));
        var cluster = status.RootElement.GetProperty("cluster");
        Assert.True(cluster.GetProperty("redis_up").GetBoolean());
        Assert.Equal(["a", "b", "c", "late"], cluster.GetProperty("instances").EnumerateArray().Select(e => e.GetString()));
        var metrics = await admin.ScrapeAsync();
        Assert.Equal(1, metrics.Get("l4lb_cluster_redis_up"));
        Assert.Equal(4, metrics.Get("l4lb_cluster_instances"));
    }

    private static bool Draining(BalancerHarness instance) => instance.Engine.Current.Tenants[TestConfigs.TenantName].Backends[0].IsDraining;
}
