namespace L4Balancer.Core.Handover;

/// <summary>A backend the operator drained (tenant, address as written in the config): it stays drained in the successor.</summary>
internal sealed record DrainedBackend(string Tenant, string Address);
