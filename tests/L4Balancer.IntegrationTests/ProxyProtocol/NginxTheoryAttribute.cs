namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>A theory that runs only where nginx and its stream module are installed; skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class NginxTheoryAttribute : TheoryAttribute
{
    public NginxTheoryAttribute()
    {
        if (PeerTools.NginxSkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
