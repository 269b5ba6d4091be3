namespace L4Balancer.Admin;

internal sealed record ByteCounts(long ClientToBackend, long BackendToClient);
