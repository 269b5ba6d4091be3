namespace L4Balancer.Core.Handover;

/// <summary>
/// A backend whose weight the operator set (issue 17): the successor keeps it if its config still gives the
/// backend <paramref name="ConfiguredWeight"/>, the same rule as a reload's (a new configured weight clears it).
/// </summary>
internal sealed record WeightedBackend(string Tenant, string Address, int Weight, int ConfiguredWeight);
