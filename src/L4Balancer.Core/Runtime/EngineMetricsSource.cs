using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Core.Runtime;

/// <summary>The engine's state as <see cref="BalancerMetrics"/> reads it: counters from the store, backends from the serving snapshot, bytes from open sessions.</summary>
internal sealed class EngineMetricsSource(Func<RuntimeSnapshot?> current, StateStore state, ConnectionRegistry connections, Func<Cluster.ClusterStatus?> cluster, TimeProvider time) : IMetricsSource
{
    public IEnumerable<KeyValuePair<string, TenantCounters>> TenantCounters => state.AllTenantCounters;

    public IEnumerable<BackendSample> Backends() =>
        current() is { } snapshot
            ? snapshot.Tenants.Values.SelectMany(t => t.Backends.Select(b => Sample(b, t.Config.Feedback)))
            : [];

    private BackendSample Sample(BackendState backend, FeedbackConfig? feedback)
    {
        double? load = null, age = null;
        if (feedback is not null && backend.Report is { } report)
        {
            var elapsed = time.GetElapsedTime(report.ReceivedAt);
            age = elapsed.TotalSeconds;
            load = elapsed <= feedback.StaleAfter ? report.Load : null;
        }

        return new BackendSample(backend.Tenant, backend.Address, backend.IsUp && !backend.IsAgentDown && backend.IsResolved, backend.ActiveConnections, backend.ConnectFailures, backend.Counters, load, age,
            backend.LastChange.ToUnixTimeMilliseconds() / 1000.0);
    }

    public IEnumerable<SessionBytes> LiveBytes()
    {
        foreach (var session in connections.Enumerate())
        {
            if (session.TryGetLiveBytes(out var tenant, out var backend, out var clientToBackend, out var backendToClient))
            {
                yield return new SessionBytes(tenant, backend.Counters, clientToBackend, backendToClient);
            }
        }
    }

    public IEnumerable<KeyValuePair<string, int>> Queues() =>
        current() is { } snapshot
            ? snapshot.Tenants.Values.Where(t => t.Config.QueueTimeout > TimeSpan.Zero).Select(t => KeyValuePair.Create(t.Name, t.Limits.Queue.Length))
            : [];

    public FleetSample? Fleet()
    {
        if (cluster() is not { } status || current() is not { } snapshot)
        {
            return null;
        }

        var shares = new List<(string, int?, double?)>();
        foreach (var tenant in snapshot.Tenants.Values)
        {
            var config = tenant.Config;
            if (config.MaxConnections > 0 || config.ConnectionRate > 0)
            {
                var (cap, rate) = tenant.Limits.Fleet.InForce(config.MaxConnections, config.ConnectionRate);
                shares.Add((tenant.Name, cap, rate));
            }
        }

        return new FleetSample(status.RedisUp, status.Members.Count, shares);
    }
}
