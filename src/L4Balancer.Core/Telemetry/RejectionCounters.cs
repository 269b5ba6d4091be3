using System.Collections.Concurrent;
using L4Balancer.Core.Model;

namespace L4Balancer.Core.Telemetry;

/// <summary>
/// Rejections by (listener, tenant, reason) — SPEC's <c>l4lb_connections_rejected_total</c> labels. The
/// tenant is empty when the connection was rejected before one was known (global deny, unknown SNI).
/// Lives for the process, across reloads.
/// </summary>
internal sealed class RejectionCounters
{
    private readonly ConcurrentDictionary<(string Listener, string Tenant, CloseReason Reason), long[]> _counts = new();

    /// <param name="tenant">Empty when no tenant was known yet.</param>
    /// <param name="tenantCounters">The tenant's own counters, which count the rejection too; null with no tenant.</param>
    public void Count(string listener, string tenant, TenantCounters? tenantCounters, CloseReason reason)
    {
        tenantCounters?.Rejected(reason);
        var cell = _counts.GetOrAdd((listener, tenant, reason), static _ => new long[1]);
        Interlocked.Increment(ref cell[0]);
    }

    public long Get(string listener, string tenant, CloseReason reason) =>
        _counts.TryGetValue((listener, tenant, reason), out var cell) ? Interlocked.Read(ref cell[0]) : 0;

    public IEnumerable<(string Listener, string Tenant, CloseReason Reason, long Count)> Snapshot() =>
        _counts.Select(kv => (kv.Key.Listener, kv.Key.Tenant, kv.Key.Reason, Interlocked.Read(ref kv.Value[0])));
}
