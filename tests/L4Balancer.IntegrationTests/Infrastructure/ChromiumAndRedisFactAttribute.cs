namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs both a headless Chromium and <c>redis-server</c> (the fleet card of the dashboard).</summary>
public sealed class ChromiumAndRedisFactAttribute : FactAttribute
{
    public ChromiumAndRedisFactAttribute()
    {
        if (HeadlessChromium.Path is null)
        {
            Skip = "chromium not installed (Debian package \"chromium\")";
        }
        else if (RedisFactAttribute.Path is null)
        {
            Skip = "redis-server not installed (Debian package \"redis-server\")";
        }
    }
}
