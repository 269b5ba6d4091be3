using L4Balancer.Core.Limits;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cluster;

/// <summary><c>[cluster] password</c> against a Redis with <c>requirepass</c>: the right one gets a lease, a wrong one never does.</summary>
public sealed class FleetAuthTests
{
    [RedisFact]
    public async Task A_member_with_the_password_gets_a_lease_and_one_without_it_stays_on_the_fallback()
    {
        await using var redis = await RedisServer.StartAsync(password: "s3cret-fleet");
        await using var backend = TestBackend.Echo();
        var interval = TimeSpan.FromMilliseconds(200);
        Core.Config.BalancerConfig Config(string instance, string? password) =>
            TestConfigs.PortRouted([TestConfigs.Backend(backend)], t => t with { MaxConnections = 10 }) with
            {
                Cluster = new() { Redis = redis.Address, Instance = instance, SyncInterval = interval, Password = password, KeyPrefix = "auth:" },
            };

        await using var good = await BalancerHarness.StartAsync(Config("good", "s3cret-fleet"));
        await using var bad = await BalancerHarness.StartAsync(Config("bad", "wrong"));

        await Deadline.UntilAsync(() => Fleet.Share(good).Mode == FleetShareMode.Lease && good.Engine.GetClusterStatus()!.RedisUp, TimeSpan.FromSeconds(10), "the member with the password holds a lease");
        Assert.Equal(10, Fleet.Share(good).ConnectionCap); // alone in the fleet: the bad one never joined
        Assert.False(bad.Engine.GetClusterStatus()!.RedisUp);
        Assert.Equal(FleetShareMode.LocalShare, Fleet.Share(bad).Mode);
        Assert.Empty(bad.Engine.GetClusterStatus()!.Members); // it never completed a sync
        Assert.Contains(bad.Logs.Messages("L4Balancer.Cluster"), m => m.Contains("Redis unreachable", StringComparison.Ordinal));
        Assert.DoesNotContain(bad.Logs.Messages("L4Balancer.Cluster"), m => m.Contains("wrong", StringComparison.Ordinal)); // never logged
        Assert.Contains("auth:members", await redis.CommandAsync("KEYS auth:*")); // AUTH with the test's password works, and the good member wrote
    }
}
