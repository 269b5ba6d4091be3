namespace L4Balancer.Core.Config;

/// <summary><c>[cluster] on_redis_down</c>: what a member enforces once its lease has expired and Redis does not answer.</summary>
internal enum RedisDownPolicy
{
    /// <summary>Each instance enforces limit ÷ the live instance count it saw last (rounded up).</summary>
    LocalShare,

    /// <summary>Fleet-wide limits are not enforced at all until Redis answers again.</summary>
    Open,

    /// <summary>The tenants with fleet-wide limits take no new connections until Redis answers again.</summary>
    Closed,
}
