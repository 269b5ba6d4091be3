namespace L4Balancer.Core.Cluster;

/// <summary>
/// The shared store of a fleet (<see cref="RedisFleetStore"/>; a fake in tests). Every call may fail or
/// hang when the store is unreachable: the member bounds each one by its own deadline and never lets
/// the data path wait on it.
/// </summary>
internal interface IFleetStore : IAsyncDisposable
{
    /// <summary>Heartbeat, expiry of dead members and the leases of <paramref name="tenants"/>, atomically.</summary>
    Task<SyncReply> SyncAsync(string member, TimeSpan ttl, IReadOnlyList<TenantDemand> tenants);

    /// <summary>Records the drain in the fleet's set and tells the live members.</summary>
    Task PublishDrainAsync(string member, FleetDrain drain);

    /// <summary>Gives this member's leases back (a clean stop).</summary>
    Task LeaveAsync(string member, IReadOnlyList<string> tenants);

    /// <summary>Calls <paramref name="onMessage"/> for every drain message another member publishes.</summary>
    Task SubscribeDrainsAsync(Action<string> onMessage);
}
