using System.Diagnostics;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Cluster;

/// <summary>
/// Fleet-wide tenant limits (issue 15): three instances on one real Redis enforce one tenant's
/// <c>max_connections</c> and <c>connection_rate</c> as a sum, and capacity follows demand.
/// </summary>
public sealed class FleetLimitTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [RedisFact]
    public async Task Ninety_connections_over_three_instances_or_at_one_are_held_to_thirty_fleet_wide()
    {
        await using var fleet = await Fleet.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            await fleet.AddAsync(fleet.Config($"i{i}", Interval, t => t with { MaxConnections = 30 }));
        }

        await fleet.SettledAsync(members: 3, limit: 30);
        var peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, fleet.Backend.Active);
                await Task.Delay(2, CancellationToken.None);
            }
        });

        // 1. 90 at once, 30 per instance: each instance admits its lease.
        var spread = await Task.WhenAll(Enumerable.Range(0, 90).Select(n => Fleet.TryOpenAsync(fleet.Instances[n % 3])));
        var admitted = spread.Count(r => r.Admitted);
        output.WriteLine($"spread: {admitted} of 90 admitted at once; caps {string.Join("/", fleet.Instances.Select(i => Fleet.Share(i).ConnectionCap))}");
        Assert.Equal(30, admitted);
        Assert.True(fleet.Backend.Active <= 30, $"backend holds {fleet.Backend.Active}");
        foreach (var (_, socket) in spread)
        {
            socket.Dispose();
        }

        await Deadline.UntilAsync(() => fleet.Backend.Active == 0, because: "the backend sees every connection closed");

        // 2. All 90 at instance 0, each refused client trying again: the lease moves to where the demand is.
        var target = fleet.Instances[0];
        var held = new List<Socket>();
        var clock = Stopwatch.StartNew();
        var deadline = Deadline.After(TimeSpan.FromSeconds(20));
        while (held.Count < 30)
        {
            deadline.ThrowIfCancellationRequested();
            var round = await Task.WhenAll(Enumerable.Range(0, 90 - held.Count).Select(_ => Fleet.TryOpenAsync(target)));
            foreach (var (ok, socket) in round)
            {
                if (ok)
                {
                    held.Add(socket);
                }
                else
                {
                    socket.Dispose();
                }
            }

            Assert.True(held.Count <= 30, $"{held.Count} admitted at one instance");
            if (held.Count < 30)
            {
                await Task.Delay(Interval / 4, CancellationToken.None);
            }
        }

        var moved = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        output.WriteLine($"all at one instance: 30 admitted after {moved.TotalMilliseconds:0} ms (sync_interval {Interval.TotalMilliseconds:0} ms); peak at the backend over the test: {peak}");
        Assert.True(peak <= 30, $"the backend held {peak} connections at once: the fleet overshot max_connections = 30");

        // Capacity moves in three syncs once the demand is reported (README "Operating a fleet"); the
        // deadline allows for a busy machine: ten intervals, against the four measured.
        Assert.True(moved < Interval * 10, $"the lease took {moved.TotalMilliseconds:0} ms to move to the instance with the demand");
        foreach (var socket in held)
        {
            socket.Dispose();
        }
    }

    [RedisFact]
    public async Task A_fleet_wide_connection_rate_admits_the_rate_times_the_time_within_ten_percent()
    {
        await using var fleet = await Fleet.StartAsync();
        const int rate = 20;
        for (var i = 0; i < 3; i++)
        {
            await fleet.AddAsync(fleet.Config($"i{i}", Interval, t => t with { ConnectionRate = rate, ConnectionBurst = 2 }));
        }

        await Deadline.UntilAsync(
            () => fleet.Instances.All(i => Fleet.Share(i).Mode == FleetShareMode.Lease && i.Engine.GetClusterStatus()!.Members.Count == 3),
            TimeSpan.FromSeconds(15), "three members hold leases");
        var before = fleet.Backend.Total;

        // Each instance offered the whole rate (3 × in all) for 10 s, one connection every 50 ms.
        var duration = TimeSpan.FromSeconds(10);
        var offered = 0;
        var clients = new List<Task>();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration && await timer.WaitForNextTickAsync())
        {
            foreach (var instance in fleet.Instances)
            {
                offered++;
                clients.Add(Task.Run(async () =>
                {
                    var (_, socket) = await Fleet.TryOpenAsync(instance);
                    socket.Dispose();
                }));
            }
        }

        var elapsed = clock.Elapsed;
        await Task.WhenAll(clients).WaitAsync(Deadline.After());
        var admitted = fleet.Backend.Total - before;
        var expected = rate * elapsed.TotalSeconds;
        output.WriteLine($"offered {offered} in {elapsed.TotalSeconds:0.00} s ({offered / elapsed.TotalSeconds:0} /s); admitted {admitted}, rate × time = {expected:0}; shares {string.Join("/", fleet.Instances.Select(i => Fleet.Share(i).RateShare.ToString("0.00")))}");
        Assert.InRange(admitted, expected * 0.9, expected * 1.1);
    }

    [RedisTheory]
    [InlineData("local_share", 5)]
    [InlineData("open", 12)]
    [InlineData("closed", 0)]
    public async Task With_Redis_killed_each_policy_answers_at_once_and_leases_resume_when_it_returns(string policyName, int admittedOfTwelve)
    {
        var (policy, mode) = policyName switch
        {
            "open" => (RedisDownPolicy.Open, FleetShareMode.Open),
            "closed" => (RedisDownPolicy.Closed, FleetShareMode.Closed),
            _ => (RedisDownPolicy.LocalShare, FleetShareMode.LocalShare),
        };
        await using var fleet = await Fleet.StartAsync();
        var a = await fleet.AddAsync(fleet.Config("a", Interval, t => t with { MaxConnections = 10 }, policy));
        await fleet.AddAsync(fleet.Config("b", Interval, t => t with { MaxConnections = 10 }, policy));
        await fleet.SettledAsync(members: 2, limit: 10);

        await fleet.Redis.KillAsync();
        await Deadline.UntilAsync(() => Fleet.Share(a).Mode == mode && !a.Engine.GetClusterStatus()!.RedisUp, TimeSpan.FromSeconds(10), $"the lease expires into {mode}");
        Assert.Contains(a.Logs.Messages("L4Balancer.Cluster"), m => m.Contains("Redis unreachable", StringComparison.Ordinal));

        // Every connection is answered at once (admitted or refused), none waits on Redis.
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Fleet.TryOpenAsync(a, TimeSpan.FromSeconds(3))));
        output.WriteLine($"{policy}: {results.Count(r => r.Admitted)} of 12 admitted in {clock.ElapsedMilliseconds} ms with Redis down");
        Assert.Equal(admittedOfTwelve, results.Count(r => r.Admitted));
        foreach (var (_, socket) in results)
        {
            socket.Dispose();
        }

        await Deadline.UntilAsync(() => fleet.Backend.Active == 0, because: "closed");
        await fleet.Redis.RestartAsync();
        await fleet.SettledAsync(members: 2, limit: 10);
        Assert.True(a.Engine.GetClusterStatus()!.RedisUp);
    }
}
