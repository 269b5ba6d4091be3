namespace L4Balancer.Core.Telemetry;

/// <summary>One backend's figures at collection time (<c>l4lb_backend_*</c>).</summary>
internal readonly record struct BackendSample(string Tenant, string Address, bool IsUp, int ActiveConnections, long ConnectFailures);
