using System.Collections.Concurrent;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// Runtime state that outlives config snapshots, keyed by identity (YARP keeps DestinationState by
/// id for the same reason): backends by (tenant, address), counters and limit state by tenant name.
/// </summary>
/// <remarks>
/// Building a snapshot only looks state up (<see cref="ResolveBackend"/>); nothing shared changes until
/// the engine <see cref="Commit"/>s the snapshot it is about to serve, so a reload that fails (a bind
/// error) leaves every backend's config, health and drain exactly as they were.
/// </remarks>
internal sealed class StateStore(TimeProvider? time = null)
{
    private readonly ConcurrentDictionary<(string Tenant, string Address), BackendState> _backends = new();
    private readonly ConcurrentDictionary<string, TenantCounters> _tenantCounters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TenantLimitState> _tenantLimits = new(StringComparer.Ordinal);

    /// <summary>The backend's surviving state, or a new one that joins the store only if the snapshot is committed.</summary>
    public BackendState ResolveBackend(string tenant, BackendConfig config) =>
        _backends.TryGetValue(Key(tenant, config), out var state) ? state : new BackendState(tenant, config, time);

    public TenantCounters GetOrAddCounters(string tenant) => _tenantCounters.GetOrAdd(tenant, static _ => new TenantCounters());

    /// <summary>The tenant's open-connection count and token buckets: a reload must neither reset nor refill them.</summary>
    public TenantLimitState GetOrAddLimits(string tenant) => _tenantLimits.GetOrAdd(tenant, static _ => new TenantLimitState());

    /// <summary>Every backend known: those in the current config, and removed ones still draining their connections.</summary>
    public IEnumerable<BackendState> AllBackends => _backends.Values;

    /// <summary>Every tenant ever configured, by name; enumerated without taking the dictionary's locks.</summary>
    public IEnumerable<KeyValuePair<string, TenantCounters>> AllTenantCounters => _tenantCounters;

    /// <summary>
    /// Makes <paramref name="snapshot"/>'s backends the live ones: new backends join, kept ones take
    /// their new config (weight, max_connections, re-resolved address; a new configured weight clears
    /// an operator's weight). A backend that left the config
    /// is marked removed while it still has connections (they continue; it takes no new ones) and is
    /// forgotten once a commit finds it idle; if it returns before that, it keeps its counters, health
    /// and drain, and a backend that returns after that starts afresh.
    /// </summary>
    /// <returns>The backends whose operator-set weight the new config cleared (it changed their configured weight), to log.</returns>
    public IReadOnlyList<(BackendState Backend, int Cleared, int OldWeight)> Commit(RuntimeSnapshot snapshot)
    {
        var cleared = new List<(BackendState, int, int)>();
        var live = new HashSet<BackendState>(ReferenceEqualityComparer.Instance);
        foreach (var tenant in snapshot.Tenants.Values)
        {
            for (var i = 0; i < tenant.Backends.Count; i++)
            {
                var state = tenant.Backends[i];
                var config = tenant.Config.Backends[i];
                var oldWeight = state.Weight;
                if (state.UpdateConfig(config) is { } weight)
                {
                    cleared.Add((state, weight, oldWeight));
                }

                state.SetRemoved(false);
                _backends[Key(tenant.Name, config)] = state;
                live.Add(state);
            }
        }

        foreach (var (key, state) in _backends)
        {
            if (live.Contains(state))
            {
                continue;
            }

            if (state.ActiveConnections == 0)
            {
                _backends.TryRemove(key, out _);
            }
            else
            {
                state.SetRemoved(true);
            }
        }

        return cleared;
    }

    private static (string, string) Key(string tenant, BackendConfig config) => (tenant, config.Address.ToLowerInvariant());
}
