namespace L4Balancer.Core.Cluster;

/// <summary>
/// One tenant's line of a sync request (the Lua script's seven numbers): its limits, what this member
/// uses and wants, and the caps it enforces now (which Redis trusts to be no more than its lease).
/// </summary>
internal readonly record struct TenantDemand(
    string Tenant,
    int Limit,
    int Used,
    int Want,
    int Cap,
    int Rate,
    double RateDemand,
    double RateCap);
