using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cluster;

/// <summary>
/// A fleet for the cluster tests: one real Redis, one holding backend (greets each admitted connection with
/// "+" and keeps it until the client closes), and in-process instances with the same config.
/// </summary>
internal sealed class Fleet : IAsyncDisposable
{
    private readonly List<BalancerHarness> _instances = [];

    private Fleet(RedisServer redis, TestBackend backend, string prefix)
    {
        Redis = redis;
        Backend = backend;
        Prefix = prefix;
    }

    public RedisServer Redis { get; }

    public TestBackend Backend { get; }

    public string Prefix { get; }

    public IReadOnlyList<BalancerHarness> Instances => _instances;

    public static async Task<Fleet> StartAsync()
    {
        var redis = await RedisServer.StartAsync();
        var backend = TestBackend.Start(HoldAsync);
        return new Fleet(redis, backend, $"test{Guid.NewGuid():N}:"[..16]);
    }

    public ClusterConfig Cluster(string instance, TimeSpan interval, RedisDownPolicy policy = RedisDownPolicy.LocalShare) =>
        new() { Redis = Redis.Address, Instance = instance, SyncInterval = interval, OnRedisDown = policy, KeyPrefix = Prefix };

    public BalancerConfig Config(string instance, TimeSpan interval, Func<TenantConfig, TenantConfig> tenant, RedisDownPolicy policy = RedisDownPolicy.LocalShare) =>
        TestConfigs.PortRouted([TestConfigs.Backend(Backend)], tenant) with { Cluster = Cluster(instance, interval, policy) };

    public async Task<BalancerHarness> AddAsync(BalancerConfig config)
    {
        var harness = await BalancerHarness.StartAsync(config);
        _instances.Add(harness);
        return harness;
    }

    public static FleetShare Share(BalancerHarness instance) => instance.Engine.Current.Tenants[TestConfigs.TenantName].Limits.Fleet;

    /// <summary>Waits until every instance holds a lease, sees <paramref name="members"/> members, and the caps add up to <paramref name="limit"/>.</summary>
    public Task SettledAsync(int members, int limit) =>
        Deadline.UntilAsync(
            () => _instances.All(i => Share(i).Mode == FleetShareMode.Lease && i.Engine.GetClusterStatus()!.Members.Count == members)
                && _instances.Sum(i => Share(i).ConnectionLimit(limit)) == limit,
            TimeSpan.FromSeconds(15),
            $"{members} members hold leases summing to {limit}");

    /// <summary>Opens a connection and says whether the tenant admitted it (the backend greets it) or refused it (closed).</summary>
    public static async Task<(bool Admitted, Socket Socket)> TryOpenAsync(BalancerHarness instance, TimeSpan? timeout = null)
    {
        var socket = await instance.ConnectAsync();
        var buffer = new byte[1];
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, Deadline.After(timeout ?? TimeSpan.FromSeconds(5)));
            return (n == 1 && buffer[0] == (byte)'+', socket);
        }
        catch (SocketException)
        {
            return (false, socket); // refused with a reset
        }
    }

    private static async Task HoldAsync(Socket socket)
    {
        await socket.SendAsync("+"u8.ToArray());
        var buffer = new byte[16];
        try
        {
            while (await socket.ReceiveAsync(buffer) > 0)
            {
            }
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await Backend.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
