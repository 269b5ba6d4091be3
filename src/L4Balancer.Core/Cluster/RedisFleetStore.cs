using System.Globalization;
using L4Balancer.Core.Config;
using StackExchange.Redis;

namespace L4Balancer.Core.Cluster;

/// <summary>
/// The fleet's state in one Redis (StackExchange.Redis): a sync is one <c>EVALSHA</c> of
/// <see cref="LeaseScript.Sync"/>, a drain one <c>MULTI</c> of <c>SADD</c>/<c>SREM</c> and <c>PUBLISH</c>.
/// The multiplexer reconnects by itself; commands fail fast while it is disconnected instead of queueing
/// (a queued heartbeat sent late would renew a lease that had already expired here).
/// </summary>
internal sealed class RedisFleetStore : IFleetStore
{
    private readonly ConnectionMultiplexer _redis;
    private readonly RedisKey _members;
    private readonly RedisKey _drains;
    private readonly RedisChannel _drainChannel;
    private readonly string _tenantPrefix;

    private RedisFleetStore(ConnectionMultiplexer redis, string prefix)
    {
        _redis = redis;
        _members = prefix + "members";
        _drains = prefix + "drains";
        _drainChannel = RedisChannel.Literal(prefix + "drains");
        _tenantPrefix = prefix + "tenant:";
    }

    /// <summary>Starts connecting; returns at once even when Redis is down (it keeps trying in the background).</summary>
    public static async Task<RedisFleetStore> ConnectAsync(ClusterConfig config, string member)
    {
        var timeout = (int)Math.Clamp(config.SyncInterval.TotalMilliseconds, 100, 5000);
        var options = new ConfigurationOptions
        {
            EndPoints = { config.Redis },
            Password = config.Password,
            Ssl = config.Tls,
            ClientName = member,
            AbortOnConnectFail = false,
            ConnectTimeout = timeout,
            SyncTimeout = timeout,
            AsyncTimeout = timeout,
            ConnectRetry = 1,
            KeepAlive = 5,
            BacklogPolicy = BacklogPolicy.FailFast,
            ReconnectRetryPolicy = new LinearRetry(timeout),
        };
        var redis = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        return new RedisFleetStore(redis, config.KeyPrefix);
    }

    public bool IsConnected => _redis.IsConnected;

    public async Task<SyncReply> SyncAsync(string member, TimeSpan ttl, IReadOnlyList<TenantDemand> tenants)
    {
        var keys = new RedisKey[2 + tenants.Count];
        keys[0] = _members;
        keys[1] = _drains;
        var args = new RedisValue[2 + (LeaseScript.ArgsPerTenant * tenants.Count)];
        args[0] = member;
        args[1] = (long)ttl.TotalMilliseconds;
        for (var i = 0; i < tenants.Count; i++)
        {
            var t = tenants[i];
            keys[2 + i] = _tenantPrefix + t.Tenant;
            var a = 2 + (i * LeaseScript.ArgsPerTenant);
            args[a] = t.Limit;
            args[a + 1] = t.Used;
            args[a + 2] = t.Want;
            args[a + 3] = t.Cap;
            args[a + 4] = t.Rate;
            args[a + 5] = Number(t.RateDemand);
            args[a + 6] = Number(t.RateCap);
        }

        var result = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(LeaseScript.Sync, keys, args).ConfigureAwait(false))!;
        var live = ((RedisResult[])result[0]!).Select(r => (string)r!).ToArray();
        var drains = ((RedisResult[])result[1]!).Select(r => (string)r!).ToArray();
        var grants = new TenantGrant[tenants.Count];
        for (var i = 0; i < grants.Length; i++)
        {
            var g = 2 + (i * 4);
            grants[i] = new TenantGrant(
                (int)result[g],
                (int)result[g + 1],
                double.Parse((string)result[g + 2]!, CultureInfo.InvariantCulture),
                double.Parse((string)result[g + 3]!, CultureInfo.InvariantCulture));
        }

        return new SyncReply(live, drains, grants);
    }

    public async Task PublishDrainAsync(string member, FleetDrain drain)
    {
        var transaction = _redis.GetDatabase().CreateTransaction();
        _ = drain.Draining ? transaction.SetAddAsync(_drains, drain.Key) : transaction.SetRemoveAsync(_drains, drain.Key);
        _ = transaction.PublishAsync(_drainChannel, drain.Message(member));
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new RedisException("the drain transaction was not applied");
        }
    }

    public async Task LeaveAsync(string member, IReadOnlyList<string> tenants)
    {
        var keys = new RedisKey[1 + tenants.Count];
        keys[0] = _members;
        for (var i = 0; i < tenants.Count; i++)
        {
            keys[1 + i] = _tenantPrefix + tenants[i];
        }

        await _redis.GetDatabase().ScriptEvaluateAsync(LeaseScript.Leave, keys, [member]).ConfigureAwait(false);
    }

    public Task SubscribeDrainsAsync(Action<string> onMessage) =>
        _redis.GetSubscriber().SubscribeAsync(_drainChannel, (_, message) => onMessage(message.ToString()));

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync().ConfigureAwait(false);

    // Lua's tonumber reads "1e-05" and "0.333333"; "R" round-trips and never uses a comma.
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
