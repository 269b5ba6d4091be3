namespace L4Balancer.Core.Balancing;

/// <summary>
/// Chooses a backend for a new connection. Implementations only read backend state; the caller
/// takes the slot with <see cref="BackendState.TryAcquire"/> and picks again (excluding the one it
/// lost) if that fails, so a policy never has to be exact under races.
/// </summary>
internal interface ILoadBalancingPolicy
{
    /// <param name="backends">The tenant's backends in config order.</param>
    /// <param name="exclude">Backends already tried for this connection (retries); usually empty.</param>
    /// <param name="context">The connection's key material (client address, SNI), for hashing policies.</param>
    /// <returns>An available backend, or null when none is.</returns>
    BackendState? Pick(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, PickContext context = default);
}
