using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Config;

internal sealed record ListenerConfig
{
    public required string Name { get; init; }
    public required IPEndPoint Bind { get; init; }
    public RouteMode Route { get; init; } = RouteMode.Port;

    /// <summary>route = port: the tenant. route = sni: optional fallback tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>
    /// Every connection starts with a PROXY protocol header (v1 or v2) from one of
    /// <see cref="TrustedProxies"/>, whose source is then the client (HAProxy's <c>accept-proxy</c>).
    /// </summary>
    public bool AcceptProxy { get; init; }

    /// <summary>The peers allowed to send that header; required and non-empty with <see cref="AcceptProxy"/>.</summary>
    public IReadOnlyList<IpPrefix> TrustedProxies { get; init; } = [];
}
