namespace L4Balancer.Admin;

/// <summary>
/// <c>GET /api/tenants/{tenant}</c> (issue 17): the tenant's figures as in <c>/api/status</c>, its limits
/// as configured (0 = none) and its backends, so a script about one tenant need not filter the whole status.
/// </summary>
/// <param name="Bandwidth">Bytes per second per direction (0 = unlimited).</param>
internal sealed record TenantDetail(
    string Name,
    string Balance,
    long Active,
    long Total,
    IReadOnlyDictionary<string, long> Rejections,
    ByteCounts Bytes,
    int Queued,
    IReadOnlyList<string> Sni,
    int MaxConnections,
    int ConnectionRate,
    int ConnectionBurst,
    long Bandwidth,
    IReadOnlyList<BackendStatus> Backends);
