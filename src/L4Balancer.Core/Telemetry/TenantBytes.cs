namespace L4Balancer.Core.Telemetry;

/// <summary>Bytes a tenant has relayed so far, each way: finished sessions plus what live ones have moved.</summary>
internal readonly record struct TenantBytes(string Tenant, long ClientToBackend, long BackendToClient);
