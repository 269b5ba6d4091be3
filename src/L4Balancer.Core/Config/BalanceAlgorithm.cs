namespace L4Balancer.Core.Config;

internal enum BalanceAlgorithm
{
    LeastConnections,
    RoundRobin,
    PowerOfTwo,
    Maglev,
}
