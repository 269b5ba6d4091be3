using System.Net;

namespace L4Balancer.Core.Config;

internal sealed record BackendConfig
{
    /// <summary>The address as written in the config; with the tenant name it is the backend's identity across reloads.</summary>
    public required string Address { get; init; }

    /// <summary>Resolved at load and at reload.</summary>
    public required IPEndPoint EndPoint { get; init; }

    public int Weight { get; init; } = 1;

    /// <summary>0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>This backend's agent port (<c>[tenant.feedback] source = "agent"</c>); 0 = the tenant's <c>agent_port</c>.</summary>
    public int AgentPort { get; init; }
}
