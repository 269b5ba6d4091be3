namespace L4Balancer.Core.Config;

internal enum BalanceAlgorithm
{
    LeastConnections,
    RoundRobin,
    PowerOfTwo,
    Maglev,

    /// <summary>Least connections with the backends' reported load added (issue 16); needs <c>[tenant.feedback]</c>.</summary>
    LeastLoad,
}
