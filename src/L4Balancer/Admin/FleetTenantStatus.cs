namespace L4Balancer.Admin;

/// <summary>
/// A tenant's part of its fleet-wide limits here: <c>mode</c> is <c>lease</c>, <c>local_share</c>, <c>open</c> or
/// <c>closed</c>; <c>connection_cap</c> the connections this instance may hold and <c>rate_share</c> the new
/// connections per second it may admit (null: that limit is not set or not enforced now).
/// </summary>
internal sealed record FleetTenantStatus(string Tenant, string Mode, int Connections, int? MaxConnections, int? ConnectionCap, double? ConnectionRate, double? RateShare);
