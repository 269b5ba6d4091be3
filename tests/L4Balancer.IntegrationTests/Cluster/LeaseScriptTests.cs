using L4Balancer.Core.Cluster;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cluster;

/// <summary>
/// The lease script (<see cref="LeaseScript"/>) run by a real Redis, driven by simulated members that follow
/// <see cref="ClusterMember"/>'s rules: lower the cap toward the target before a sync, never raise it above
/// the lease Redis granted. The invariant that makes fleet-wide limits hold is checked after every sync.
/// </summary>
public sealed class LeaseScriptTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    [RedisFact]
    public async Task Caps_never_sum_past_the_limit_whatever_the_members_report()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var store = await ConnectAsync(redis);
        const int limit = 30;
        const int rate = 50;
        var random = new Random(1234);
        var members = Enumerable.Range(0, 5).Select(i => new SimulatedMember($"m{i}#0000000{i}")).ToArray();

        for (var round = 0; round < 400; round++)
        {
            var member = members[random.Next(members.Length)];

            // Between syncs a member admits or closes connections within its cap, and some are refused.
            member.Used = member.Cap <= 0 ? 0 : random.Next(0, member.Cap + 1);
            member.Refused = random.Next(0, 3) == 0 ? random.Next(0, 60) : 0;
            member.RateDemand = random.NextDouble() * 100;
            await member.SyncAsync(store, limit, rate, Ttl);

            Assert.True(members.Sum(m => m.Cap) <= limit, $"round {round}: caps {string.Join(",", members.Select(m => m.Cap))} exceed {limit}");
            Assert.True(members.Sum(m => m.Lease) <= limit, $"round {round}: leases {string.Join(",", members.Select(m => m.Lease))} exceed {limit}");
            Assert.True(members.Sum(m => m.RateCap) <= rate + 1e-6, $"round {round}: rate caps {string.Join(",", members.Select(m => m.RateCap))} exceed {rate}");
            Assert.All(members, m => Assert.True(m.Used <= m.Cap || m.Cap == m.Lease, "a member's cap never drops below what it uses"));
        }
    }

    [RedisFact]
    public async Task Capacity_moves_to_the_member_with_demand_and_an_idle_fleet_splits_it_evenly()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var store = await ConnectAsync(redis);
        var members = Enumerable.Range(0, 3).Select(i => new SimulatedMember($"m{i}#0000000{i}")).ToArray();

        // Idle: an even split (largest remainder: 10 each of 30), for the rate too.
        for (var round = 0; round < 3; round++)
        {
            foreach (var m in members)
            {
                await m.SyncAsync(store, limit: 30, rate: 30, Ttl);
            }
        }

        Assert.Equal([10, 10, 10], members.Select(m => m.Cap));
        Assert.All(members, m => Assert.InRange(m.RateCap, 9.99, 10.01));

        // All demand at m0: 90 clients, 10 admitted, 80 refused. The others shrink at their next sync and
        // m0 grows at its next: within two rounds it holds (nearly) the whole limit.
        var busy = members[0];
        for (var round = 0; round < 3; round++)
        {
            busy.Used = busy.Cap;
            busy.Refused = 90 - busy.Cap;
            busy.RateDemand = 90;
            foreach (var m in members)
            {
                await m.SyncAsync(store, limit: 30, rate: 30, Ttl);
            }
        }

        Assert.Equal(30, busy.Cap);
        Assert.Equal(0, members[1].Cap + members[2].Cap);
        Assert.True(busy.RateCap > 29, $"rate cap {busy.RateCap}");
    }

    [RedisFact]
    public async Task A_member_that_stops_syncing_leaves_its_share_to_the_others_after_the_ttl()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var store = await ConnectAsync(redis);
        var ttl = TimeSpan.FromMilliseconds(300);
        var alive = new SimulatedMember("alive#00000001");
        var dead = new SimulatedMember("dead#00000002");
        // The first to join holds all 20 until it gives half back: one sync to learn the new target, the
        // next to release the lease in Redis, then the newcomer's sync takes them.
        for (var round = 0; round < 3; round++)
        {
            await alive.SyncAsync(store, limit: 20, rate: 0, ttl);
            await dead.SyncAsync(store, limit: 20, rate: 0, ttl);
        }

        Assert.Equal(10, alive.Cap);
        Assert.Equal(10, dead.Cap);

        // The dead member holds 10 until Redis's clock passes its expiry; then the live one gets them.
        var reply = await alive.SyncAsync(store, limit: 20, rate: 0, ttl);
        Assert.Equal(2, reply.LiveMembers.Count);
        await Deadline.UntilAsync(async () =>
        {
            alive.Used = alive.Cap;
            alive.Refused = 10;
            await alive.SyncAsync(store, limit: 20, rate: 0, ttl);
            return alive.Cap == 20;
        }, TimeSpan.FromSeconds(5), "the dead member's share comes back");
    }

    /// <summary>Connected, not just connecting: the store fails fast while its first handshake is under way (as a member wants).</summary>
    private static async Task<RedisFleetStore> ConnectAsync(RedisServer redis)
    {
        var store = await RedisFleetStore.ConnectAsync(new ClusterConfig { Redis = redis.Address, Instance = "test", KeyPrefix = "t:" }, "test");
        await Deadline.UntilAsync(() => store.IsConnected, TimeSpan.FromSeconds(10), "connected to redis-server");
        return store;
    }

    /// <summary>A member reduced to the lease rules of <see cref="ClusterMember"/>, without the timers.</summary>
    private sealed class SimulatedMember(string id)
    {
        private int _target = int.MaxValue;
        private bool _joined;

        public int Cap { get; private set; }

        public int Lease { get; private set; }

        public double RateCap { get; private set; }

        public int Used { get; set; }

        public int Refused { get; set; }

        public double RateDemand { get; set; }

        public async Task<SyncReply> SyncAsync(IFleetStore store, int limit, int rate, TimeSpan ttl)
        {
            int cap;
            double rateCap;
            if (_joined)
            {
                cap = Math.Max(Math.Min(Cap, Math.Max(Used, _target)), Used);
                Cap = cap;
                rateCap = RateCap;
            }
            else
            {
                cap = limit;
                rateCap = rate;
            }

            var reply = await store.SyncAsync(id, ttl, [new TenantDemand("t", limit, Used, Used + Refused, cap, rate, RateDemand, rateCap)]);
            var grant = reply.Grants[0];
            Lease = grant.Lease;
            _target = grant.Target;
            Cap = Math.Min(grant.Lease, Math.Max(grant.Target, Used));
            RateCap = rate > 0 ? Math.Min(grant.RateLease, grant.RateTarget) : 0;
            Used = Math.Min(Used, Math.Max(Cap, Used));
            _joined = true;
            return reply;
        }
    }
}
