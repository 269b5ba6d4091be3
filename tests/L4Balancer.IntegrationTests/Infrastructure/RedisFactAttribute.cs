namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs a real <c>redis-server</c> (Debian package <c>redis-server</c>; CI installs it).</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("redis-server");

    public RedisFactAttribute()
    {
        if (Path is null)
        {
            Skip = "redis-server not installed (Debian package \"redis-server\")";
        }
    }
}
