using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Cluster;

/// <summary>A tenant of the serving config as a sync sees it: its configured limits and its limit state.</summary>
internal readonly record struct FleetTenant(string Name, int MaxConnections, int ConnectionRate, TenantLimitState Limits);
