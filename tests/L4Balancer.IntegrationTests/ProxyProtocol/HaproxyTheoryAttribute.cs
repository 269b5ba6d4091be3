namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>A theory that runs only where HAProxy is installed; skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class HaproxyTheoryAttribute : TheoryAttribute
{
    public HaproxyTheoryAttribute()
    {
        if (PeerTools.HaproxySkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
