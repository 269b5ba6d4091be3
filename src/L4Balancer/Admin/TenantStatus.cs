namespace L4Balancer.Admin;

/// <summary>
/// A tenant's live figures. <see cref="Rejections"/> has every SPEC reason (zeros included, so clients see a
/// stable shape); bytes include what open connections have moved so far. <see cref="Queued"/>: connections
/// waiting for a backend slot now (always 0 without <c>queue_timeout</c>).
/// </summary>
internal sealed record TenantStatus(
    string Name,
    string Balance,
    long Active,
    long Total,
    IReadOnlyDictionary<string, long> Rejections,
    ByteCounts Bytes,
    int Queued);
