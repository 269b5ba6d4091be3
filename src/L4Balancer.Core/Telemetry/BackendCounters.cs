namespace L4Balancer.Core.Telemetry;

/// <summary>
/// One backend's traffic counters (<c>l4lb_backend_connections_total</c>, <c>l4lb_backend_bytes_total</c>),
/// kept as the tenant's are (<see cref="TenantCounters"/>): one increment per connection, and bytes added
/// once per session at its end, so the relay writes nothing shared per chunk. They live with the backend's
/// state, which survives reloads that keep the backend.
/// </summary>
internal sealed class BackendCounters
{
    private readonly Lock _reportLock = new();
    private long _connections;
    private long _bytesClientToBackend;
    private long _bytesBackendToClient;
    private long _reportedClientToBackend;
    private long _reportedBackendToClient;

    /// <summary>Connections relayed through this backend (its connect succeeded): per tenant, they sum to <c>l4lb_connections_total</c>.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    public long BytesClientToBackend => Interlocked.Read(ref _bytesClientToBackend);

    public long BytesBackendToClient => Interlocked.Read(ref _bytesBackendToClient);

    public void Connected() => Interlocked.Increment(ref _connections);

    /// <summary>A finished session's bytes, once.</summary>
    public void AddBytes(long clientToBackend, long backendToClient)
    {
        Interlocked.Add(ref _bytesClientToBackend, clientToBackend);
        Interlocked.Add(ref _bytesBackendToClient, backendToClient);
    }

    /// <summary>
    /// Finished plus live bytes as a collection computed them, never below the previous answer: in the
    /// instant a session moves its bytes from live to finished a collection may miss them once (see
    /// <see cref="BalancerMetrics.TenantBytes"/>), and a counter that dips reads as a restart.
    /// </summary>
    public (long ClientToBackend, long BackendToClient) Report(long clientToBackend, long backendToClient)
    {
        lock (_reportLock)
        {
            _reportedClientToBackend = Math.Max(_reportedClientToBackend, clientToBackend);
            _reportedBackendToClient = Math.Max(_reportedBackendToClient, backendToClient);
            return (_reportedClientToBackend, _reportedBackendToClient);
        }
    }
}
