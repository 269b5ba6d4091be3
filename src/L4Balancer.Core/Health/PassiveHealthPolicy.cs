using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Health;

/// <summary>
/// The passive check as one snapshot configures it for one backend: <see cref="Fall"/> consecutive
/// failed connects of client connections mark the backend down, and <see cref="HealthMonitor"/> is
/// told so it can log and (without active checks) schedule the retry after <see cref="RetryAfter"/>.
/// </summary>
internal sealed class PassiveHealthPolicy(string tenant, int fall, TimeSpan retryAfter, bool activeChecks, HealthMonitor monitor) : IPassiveHealth
{
    public string Tenant { get; } = tenant;

    public int Fall { get; } = fall;

    /// <summary>Without active checks: how long a passively downed backend rests before it is tried again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>Active checks run for this backend's tenant: they, not a timed retry, bring it back.</summary>
    public bool ActiveChecks { get; } = activeChecks;

    public void OnMarkedDown(BackendState backend, int consecutiveFailures) => monitor.OnPassiveDown(backend, this, consecutiveFailures);
}
