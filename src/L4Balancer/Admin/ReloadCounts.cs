namespace L4Balancer.Admin;

internal sealed record ReloadCounts(long Ok, long Error);
