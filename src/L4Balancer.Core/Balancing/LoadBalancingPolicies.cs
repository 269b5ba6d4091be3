using L4Balancer.Core.Config;

namespace L4Balancer.Core.Balancing;

internal static class LoadBalancingPolicies
{
    /// <summary>The tenant's policy for one snapshot (Maglev builds its table here, once per load or reload).</summary>
    /// <param name="timeProvider">The engine's clock: <c>least_load</c> ages reports by it against the tenant's <c>stale_after</c>.</param>
    public static ILoadBalancingPolicy Create(TenantConfig tenant, TimeProvider timeProvider, Random? random = null) => tenant.Balance switch
    {
        BalanceAlgorithm.LeastConnections => new LeastConnectionsPolicy(),
        BalanceAlgorithm.RoundRobin => new RoundRobinPolicy(),
        BalanceAlgorithm.PowerOfTwo => new PowerOfTwoChoicesPolicy(random ?? Random.Shared),
        BalanceAlgorithm.Maglev => new MaglevPolicy(tenant.Backends, tenant.HashKey, tenant.HashTableSize, tenant.HashBalanceFactor),

        // Validation refuses least_load without [tenant.feedback]; a config built in code without one gets a
        // policy that finds every report stale, which is least connections.
        BalanceAlgorithm.LeastLoad => new LeastLoadPolicy(timeProvider, tenant.Feedback?.StaleAfter ?? TimeSpan.Zero),
        _ => throw new ArgumentOutOfRangeException(nameof(tenant), tenant.Balance, "unknown balance algorithm"),
    };
}
