using System.Collections.Concurrent;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Routing;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// Runtime state that outlives config snapshots, keyed by identity (YARP keeps DestinationState by
/// id for the same reason): backends by (tenant, address), counters and limit state by tenant name.
/// </summary>
internal sealed class StateStore
{
    private readonly ConcurrentDictionary<(string Tenant, string Address), BackendState> _backends = new();
    private readonly ConcurrentDictionary<string, TenantCounters> _tenantCounters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TenantLimitState> _tenantLimits = new(StringComparer.Ordinal);

    public BackendState GetOrAddBackend(string tenant, BackendConfig config)
    {
        var key = (tenant, config.Address.ToLowerInvariant());
        var state = _backends.GetOrAdd(key, static (k, c) => new BackendState(k.Tenant, c), config);
        state.UpdateConfig(config);
        return state;
    }

    public TenantCounters GetOrAddCounters(string tenant) => _tenantCounters.GetOrAdd(tenant, static _ => new TenantCounters());

    /// <summary>The tenant's open-connection count and token buckets: a reload must neither reset nor refill them.</summary>
    public TenantLimitState GetOrAddLimits(string tenant) => _tenantLimits.GetOrAdd(tenant, static _ => new TenantLimitState());

    public IEnumerable<BackendState> AllBackends => _backends.Values;
}
