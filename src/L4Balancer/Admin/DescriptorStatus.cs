namespace L4Balancer.Admin;

/// <summary>
/// The descriptor budget in <c>/api/status</c>: the open-files soft limit, the descriptors reserved for
/// everything but proxied connections, and the effective <c>max_connections</c> (the configured one,
/// capped by what the rest can hold at two descriptors a connection).
/// </summary>
internal sealed record DescriptorStatus(long Limit, int Reserved, int MaxConnections);
