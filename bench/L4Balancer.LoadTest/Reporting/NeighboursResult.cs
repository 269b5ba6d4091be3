namespace L4Balancer.LoadTest.Reporting;

/// <summary>neighbours: tenant B's rr result while tenant A was flooded.</summary>
internal sealed record NeighboursResult(RrResult TenantB, FloodResult TenantA);
