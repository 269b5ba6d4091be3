using L4Balancer.Core.Model;

namespace L4Balancer.Core.Telemetry;

/// <summary>
/// A tenant's counters. Kept by tenant name across reloads (a Prometheus counter must never go
/// backwards because a config changed), so they live apart from the per-snapshot tenant state (Routing.TenantState).
/// </summary>
internal sealed class TenantCounters
{
    private readonly long[] _rejections = new long[Enum.GetValues<CloseReason>().Length];
    private long _active;
    private long _total;
    private long _bytesClientToBackend;
    private long _bytesBackendToClient;

    public long Active => Interlocked.Read(ref _active);

    /// <summary>Connections admitted to the tenant (a backend was chosen and connected).</summary>
    public long Total => Interlocked.Read(ref _total);

    public long BytesClientToBackend => Interlocked.Read(ref _bytesClientToBackend);

    public long BytesBackendToClient => Interlocked.Read(ref _bytesBackendToClient);

    public long Rejections(CloseReason reason) => Interlocked.Read(ref _rejections[(int)reason]);

    public void Opened()
    {
        Interlocked.Increment(ref _active);
        Interlocked.Increment(ref _total);
    }

    public void Finished() => Interlocked.Decrement(ref _active);

    public void Rejected(CloseReason reason) => Interlocked.Increment(ref _rejections[(int)reason]);

    /// <summary>Bytes are added in batches by each session (at its end), not per chunk, to keep the relay free of shared writes.</summary>
    public void AddBytes(long clientToBackend, long backendToClient)
    {
        Interlocked.Add(ref _bytesClientToBackend, clientToBackend);
        Interlocked.Add(ref _bytesBackendToClient, backendToClient);
    }
}
