namespace L4Balancer.Admin;

/// <summary>
/// A tenant's live figures. <see cref="Rejections"/> has every SPEC reason (zeros included, so clients see a
/// stable shape); bytes include what open connections have moved so far.
/// </summary>
internal sealed record TenantStatus(
    string Name,
    string Balance,
    long Active,
    long Total,
    IReadOnlyDictionary<string, long> Rejections,
    ByteCounts Bytes);
