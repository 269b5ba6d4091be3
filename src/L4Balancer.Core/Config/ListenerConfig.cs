using System.Net;

namespace L4Balancer.Core.Config;

internal sealed record ListenerConfig
{
    public required string Name { get; init; }
    public required IPEndPoint Bind { get; init; }
    public RouteMode Route { get; init; } = RouteMode.Port;

    /// <summary>route = port: the tenant. route = sni: optional fallback tenant.</summary>
    public string? Tenant { get; init; }
}
