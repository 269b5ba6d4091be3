using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Cluster;

internal static partial class ClusterLog
{
    [LoggerMessage(EventId = 4300, Level = LogLevel.Information, Message = "cluster: member {Member} of the fleet on Redis {Redis}, syncing every {Interval}, on_redis_down = {Policy}")]
    public static partial void Joining(ILogger logger, string member, string redis, string interval, string policy);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "cluster: Redis reachable; {Instances} live member(s): {Members}")]
    public static partial void RedisUp(ILogger logger, int instances, string members);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "cluster: Redis unreachable ({Error}); leases hold until they expire, then on_redis_down = {Policy}")]
    public static partial void RedisDown(ILogger logger, string error, string policy);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "cluster: leases expired without Redis; fleet-wide limits now {Policy} (last seen {Instances} live member(s))")]
    public static partial void LeasesExpired(ILogger logger, string policy, int instances);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Information, Message = "cluster: live members changed to {Instances}: {Members}")]
    public static partial void MembersChanged(ILogger logger, int instances, string members);

    [LoggerMessage(EventId = 4305, Level = LogLevel.Information, Message = "cluster: backend {Tenant}/{Backend} {Action} by the fleet")]
    public static partial void FleetDrainApplied(ILogger logger, string tenant, string backend, string action);

    [LoggerMessage(EventId = 4306, Level = LogLevel.Warning, Message = "cluster: could not give the leases back on leaving ({Error}); Redis forgets them after the lease TTL")]
    public static partial void LeaveFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4307, Level = LogLevel.Warning, Message = "cluster: ignored a malformed drain message \"{Message}\"")]
    public static partial void BadDrainMessage(ILogger logger, string message);
}
