namespace L4Balancer.Core.Telemetry;

/// <summary>The fleet membership as the metrics read it (<c>[cluster]</c> only).</summary>
/// <param name="Shares">Per fleet-limited tenant: the connections and new connections per second this instance may admit now (null: not enforced).</param>
internal sealed record FleetSample(bool RedisUp, int Instances, IReadOnlyList<(string Tenant, int? ConnectionCap, double? RateShare)> Shares);
