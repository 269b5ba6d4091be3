using L4Balancer.Core.Net;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[global]</c> table. Defaults are the values SPEC's example shows.</summary>
internal sealed record GlobalConfig
{
    /// <summary>Concurrent connections for the whole process; 0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>Concurrent connections per source IP across all tenants; 0 = unlimited.</summary>
    public int MaxConnectionsPerIp { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan ClientHelloTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Listen backlog for every listener (an extension key, <c>backlog</c>; nginx's default).</summary>
    public int Backlog { get; init; } = 511;

    public IReadOnlyList<IpPrefix> Deny { get; init; } = [];
}
