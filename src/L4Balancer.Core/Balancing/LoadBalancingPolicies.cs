using L4Balancer.Core.Config;

namespace L4Balancer.Core.Balancing;

internal static class LoadBalancingPolicies
{
    public static ILoadBalancingPolicy Create(BalanceAlgorithm algorithm, Random? random = null) => algorithm switch
    {
        BalanceAlgorithm.LeastConnections => new LeastConnectionsPolicy(),
        BalanceAlgorithm.RoundRobin => new RoundRobinPolicy(),
        BalanceAlgorithm.PowerOfTwo => new PowerOfTwoChoicesPolicy(random ?? Random.Shared),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown balance algorithm"),
    };
}
