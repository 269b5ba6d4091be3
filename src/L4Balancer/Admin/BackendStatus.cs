namespace L4Balancer.Admin;

internal sealed record BackendStatus(
    string Tenant,
    string Address,
    bool Up,
    bool Draining,
    int Active,
    long Total,
    long ConnectFailures,
    int Weight,
    int MaxConnections);
