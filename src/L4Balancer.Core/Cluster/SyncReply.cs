namespace L4Balancer.Core.Cluster;

/// <summary>What one sync learned: the live members, the fleet's drained backends, and a grant per requested tenant (same order).</summary>
internal sealed record SyncReply(IReadOnlyList<string> LiveMembers, IReadOnlyList<string> DrainKeys, IReadOnlyList<TenantGrant> Grants);
