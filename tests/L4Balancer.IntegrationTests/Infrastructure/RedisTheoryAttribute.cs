namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A theory that needs a real <c>redis-server</c>; see <see cref="RedisFactAttribute"/>.</summary>
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    public RedisTheoryAttribute()
    {
        if (RedisFactAttribute.Path is null)
        {
            Skip = "redis-server not installed (Debian package \"redis-server\")";
        }
    }
}
