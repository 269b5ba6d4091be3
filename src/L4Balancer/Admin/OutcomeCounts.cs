namespace L4Balancer.Admin;

/// <summary>Successes and failures of an operation that can fail and be retried: config reloads, binary upgrades.</summary>
internal sealed record OutcomeCounts(long Ok, long Error);
