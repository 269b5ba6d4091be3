using System.Collections.Concurrent;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Routing;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// Runtime state that outlives config snapshots, keyed by identity (YARP keeps DestinationState by
/// id for the same reason): backends by (tenant, address), counters by tenant name.
/// </summary>
internal sealed class StateStore
{
    private readonly ConcurrentDictionary<(string Tenant, string Address), BackendState> _backends = new();
    private readonly ConcurrentDictionary<string, TenantCounters> _tenantCounters = new(StringComparer.Ordinal);

    public BackendState GetOrAddBackend(string tenant, BackendConfig config)
    {
        var key = (tenant, config.Address.ToLowerInvariant());
        var state = _backends.GetOrAdd(key, static (k, c) => new BackendState(k.Tenant, c), config);
        state.UpdateConfig(config);
        return state;
    }

    public TenantCounters GetOrAddCounters(string tenant) => _tenantCounters.GetOrAdd(tenant, static _ => new TenantCounters());

    public IEnumerable<BackendState> AllBackends => _backends.Values;

    /// <summary>Every tenant ever configured, by name; enumerated without taking the dictionary's locks.</summary>
    public IEnumerable<KeyValuePair<string, TenantCounters>> AllTenantCounters => _tenantCounters;
}
