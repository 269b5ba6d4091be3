using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Cluster;

/// <summary>What a <see cref="ClusterMember"/> needs of the engine it serves (the engine implements it).</summary>
internal interface IFleetHost
{
    /// <summary>The tenants of the serving config; empty before the engine started.</summary>
    IReadOnlyList<FleetTenant> FleetTenants();

    /// <summary>The backends of the serving config, to bring their drain flags in line with the fleet's.</summary>
    IEnumerable<BackendState> FleetBackends();

    /// <summary>A drain or undrain made on another instance (or found in Redis): apply it here only.</summary>
    void ApplyFleetDrain(string tenant, string address, bool draining);
}
