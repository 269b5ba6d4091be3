namespace L4Balancer.Core.Telemetry;

/// <summary>What one open session has moved so far and not yet added to its tenant's and backend's counters.</summary>
internal readonly record struct SessionBytes(string Tenant, BackendCounters Backend, long ClientToBackend, long BackendToClient);
