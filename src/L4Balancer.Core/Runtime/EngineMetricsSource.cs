using L4Balancer.Core.Flow;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Core.Runtime;

/// <summary>The engine's state as <see cref="BalancerMetrics"/> reads it: counters from the store, backends from the serving snapshot, bytes from open sessions.</summary>
internal sealed class EngineMetricsSource(Func<RuntimeSnapshot?> current, StateStore state, ConnectionRegistry connections) : IMetricsSource
{
    public IEnumerable<KeyValuePair<string, TenantCounters>> TenantCounters => state.AllTenantCounters;

    public IEnumerable<BackendSample> Backends() =>
        current() is { } snapshot
            ? snapshot.Tenants.Values.SelectMany(t => t.Backends).Select(b => new BackendSample(b.Tenant, b.Address, b.IsUp, b.ActiveConnections, b.ConnectFailures))
            : [];

    public IEnumerable<TenantBytes> LiveBytes()
    {
        foreach (var session in connections.Enumerate())
        {
            if (session.TryGetLiveBytes(out var tenant, out var clientToBackend, out var backendToClient))
            {
                yield return new TenantBytes(tenant, clientToBackend, backendToClient);
            }
        }
    }
}
