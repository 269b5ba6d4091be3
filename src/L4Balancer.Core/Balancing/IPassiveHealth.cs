namespace L4Balancer.Core.Balancing;

/// <summary>
/// How real traffic's failed connects mark a backend down (the passive check), as the health monitor
/// configures it per snapshot. The rule's owner is Health; the backend only asks it.
/// </summary>
internal interface IPassiveHealth
{
    /// <summary>Consecutive failed connects that mark the backend down.</summary>
    int Fall { get; }

    /// <summary>The backend was just marked down by <paramref name="consecutiveFailures"/> failed connects.</summary>
    void OnMarkedDown(BackendState backend, int consecutiveFailures);
}
