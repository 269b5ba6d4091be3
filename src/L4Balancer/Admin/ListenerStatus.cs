namespace L4Balancer.Admin;

/// <summary>A listener as configured, and where it is bound (the real port when the config said 0); null when not bound.</summary>
internal sealed record ListenerStatus(string Name, string Bind, string? BoundAddress, string Route, string? Tenant);
