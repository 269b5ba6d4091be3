using L4Balancer.Core.Balancing;
using L4Balancer.Core.Cluster;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Runtime;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Admin;

/// <summary>Builds <c>/api/status</c> from the engine's current snapshot and its counters.</summary>
internal static class StatusReport
{
    public static AdminStatus Build(IBalancerState engine, RuntimeSnapshot snapshot, DateTimeOffset startedAt, TimeSpan uptime)
    {
        var bound = engine.ListenerEndPoints;
        var listeners = snapshot.Config.Listeners
            .Select(l => new ListenerStatus(
                l.Name,
                l.Bind.ToString(),
                bound.TryGetValue(l.Name, out var endPoint) ? endPoint.ToString() : null,
                l.Route == RouteMode.Sni ? "sni" : "port",
                l.Tenant))
            .ToArray();

        var bytes = engine.TenantBytes().ToDictionary(b => b.Tenant, StringComparer.Ordinal);
        var tenants = snapshot.Tenants.Values
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new TenantStatus(t.Name, BalanceName(t.Config.Balance), t.Counters.Active, t.Counters.Total, Rejections(t), Bytes(bytes, t), t.Limits.Queue.Length))
            .ToArray();

        var backends = snapshot.Tenants.Values
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => t.Backends.Select(b => Backend(b, t.Config.Feedback, engine.TimeProvider)))
            .ToArray();

        var rejectionSeries = engine.Rejections()
            .OrderBy(r => r.Listener, StringComparer.Ordinal).ThenBy(r => r.Tenant, StringComparer.Ordinal).ThenBy(r => r.Reason)
            .Select(r => new RejectionStatus(r.Listener, r.Tenant, r.Reason.ToWireName(), r.Count))
            .ToArray();

        return new AdminStatus(
            BuildInfo.Current.Version,
            startedAt,
            Math.Round(uptime.TotalSeconds, 3),
            Environment.ProcessId,
            engine.TookOver?.ParentPid,
            engine.TookOver?.At,
            snapshot.Generation,
            engine.IsAccepting,
            engine.OpenConnections,
            new OutcomeCounts(engine.ReloadCounts.Ok, engine.ReloadCounts.Error),
            new OutcomeCounts(engine.UpgradeCounts.Ok, engine.UpgradeCounts.Error),
            listeners,
            tenants,
            backends,
            rejectionSeries,
            engine.DescriptorBudget is { } d
                ? new DescriptorStatus(d.Limit, d.Reserved, engine.EffectiveMaxConnections(snapshot.Config.Global.MaxConnections))
                : null,
            engine.GetClusterStatus() is { } cluster ? Fleet(cluster, snapshot) : null);
    }

    /// <summary><c>GET /api/tenants/{tenant}</c>: one tenant's figures, limits and backends.</summary>
    public static TenantDetail Tenant(IBalancerState engine, TenantState t)
    {
        var bytes = engine.TenantBytes().ToDictionary(b => b.Tenant, StringComparer.Ordinal);
        var c = t.Config;
        return new TenantDetail(t.Name, BalanceName(c.Balance), t.Counters.Active, t.Counters.Total, Rejections(t), Bytes(bytes, t), t.Limits.Queue.Length,
            c.Sni, c.MaxConnections, c.ConnectionRate, c.ConnectionBurst > 0 ? c.ConnectionBurst : c.ConnectionRate, c.Bandwidth,
            [.. t.Backends.Select(b => Backend(b, c.Feedback, engine.TimeProvider))]);
    }

    private static Dictionary<string, long> Rejections(TenantState t) =>
        CloseReasons.Rejections.ToDictionary(r => r.ToWireName(), t.Counters.Rejections, StringComparer.Ordinal);

    private static ByteCounts Bytes(Dictionary<string, TenantBytes> bytes, TenantState t)
    {
        bytes.TryGetValue(t.Name, out var b);
        return new ByteCounts(b.ClientToBackend, b.BackendToClient);
    }

    private static FleetStatus Fleet(ClusterStatus cluster, RuntimeSnapshot snapshot) =>
        new(
            cluster.Instance,
            cluster.Member,
            cluster.RedisUp,
            cluster.OnRedisDown,
            cluster.SyncIntervalSeconds,
            cluster.LastSync,
            cluster.Instances,
            cluster.Members,
            [.. snapshot.Tenants.Values
                .Where(t => t.Config.MaxConnections > 0 || t.Config.ConnectionRate > 0)
                .OrderBy(t => t.Name, StringComparer.Ordinal)
                .Select(t =>
                {
                    var share = t.Limits.Fleet;
                    var (cap, rate) = share.InForce(t.Config.MaxConnections, t.Config.ConnectionRate);
                    return new FleetTenantStatus(
                        t.Name,
                        ModeName(share.Mode),
                        t.Limits.Connections.Count,
                        t.Config.MaxConnections > 0 ? t.Config.MaxConnections : null,
                        cap,
                        t.Config.ConnectionRate > 0 ? t.Config.ConnectionRate : null,
                        rate is { } r ? Math.Round(r, 3) : null);
                })]);

    private static string ModeName(FleetShareMode mode) => mode switch
    {
        FleetShareMode.Lease => "lease",
        FleetShareMode.LocalShare => "local_share",
        FleetShareMode.Open => "open",
        FleetShareMode.Closed => "closed",
        _ => "local",
    };

    /// <param name="feedback">The backend's tenant's <c>[tenant.feedback]</c>, for the report's staleness.</param>
    public static BackendStatus Backend(BackendState b, FeedbackConfig? feedback, TimeProvider time)
    {
        var report = b.Report;
        var age = report is null ? (TimeSpan?)null : time.GetElapsedTime(report.ReceivedAt);

        // An agent's 0% is HAProxy's DRAIN too ("it has the same effect on the server"), and so is an
        // operator's weight 0 (issue 17), told apart from the drain flag: undrain does not undo it.
        var agentDrains = b.IsAgentDraining || b.AgentWeightPercent == 0;
        var weightDrains = b.WeightOverride == 0;
        string[] drainedBy = [.. (b.IsDraining ? ["operator"] : Array.Empty<string>()), .. (weightDrains ? ["weight"] : Array.Empty<string>()), .. (agentDrains ? ["agent"] : Array.Empty<string>())];

        // DNS (issue 17) is apart from the checks: a backend that never resolved was never checked.
        string[] downBy = [.. (!b.IsUp ? ["checks"] : Array.Empty<string>()), .. (b.IsAgentDown ? ["agent"] : Array.Empty<string>()), .. (!b.IsResolved ? ["dns"] : Array.Empty<string>())];
        var check = b.LastCheck;
        return new(b.Tenant, b.Address, downBy.Length == 0, drainedBy.Length != 0, b.ActiveConnections, b.TotalConnections, b.ConnectFailures,
            b.Weight, b.Config.MaxConnections, b.EffectiveWeight, b.EffectiveMaxConnections, drainedBy, downBy,
            report?.Load,
            age is { } a ? Math.Round(a.TotalSeconds, 3) : null,
            age is { } stale && feedback is not null ? stale > feedback.StaleAfter : null,
            report?.Reason,
            report is { State: not AgentState.None } r ? r.State.ToString().ToLowerInvariant() : null,
            b.AgentWeightPercent,
            b.AgentMaxConnections,
            b.WeightOverride,
            check?.Status.ToString(),
            check?.Detail,
            b.LastChange);
    }

    private static string BalanceName(BalanceAlgorithm balance) => balance switch
    {
        BalanceAlgorithm.RoundRobin => "round_robin",
        BalanceAlgorithm.PowerOfTwo => "power_of_two",
        BalanceAlgorithm.Maglev => "maglev",
        BalanceAlgorithm.LeastLoad => "least_load",
        _ => "least_connections",
    };
}
