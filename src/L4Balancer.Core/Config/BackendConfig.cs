using System.Net;

namespace L4Balancer.Core.Config;

internal sealed record BackendConfig
{
    /// <summary>The address as written in the config; with the tenant name it is the backend's identity across reloads.</summary>
    public required string Address { get; init; }

    /// <summary>
    /// Resolved at load and at reload; null when <see cref="Host"/> did not resolve (issue 17: the backend is
    /// down with check status DNS until a later lookup answers, <see cref="ResolveError"/> says why).
    /// </summary>
    public required IPEndPoint? EndPoint { get; init; }

    /// <summary>The host name when <see cref="Address"/> names one rather than an IP literal; null otherwise.</summary>
    public string? Host { get; init; }

    /// <summary>The port of <see cref="Address"/>.</summary>
    public int Port { get; init; }

    /// <summary>Why <see cref="Host"/> did not resolve at load; null when it did (or is a literal).</summary>
    public string? ResolveError { get; init; }

    public int Weight { get; init; } = 1;

    /// <summary>0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>This backend's agent port (<c>[tenant.feedback] source = "agent"</c>); 0 = the tenant's <c>agent_port</c>.</summary>
    public int AgentPort { get; init; }
}
