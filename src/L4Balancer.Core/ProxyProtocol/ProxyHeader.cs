using System.Net;

namespace L4Balancer.Core.ProxyProtocol;

/// <summary>A parsed PROXY protocol header.</summary>
internal sealed record ProxyHeader
{
    /// <summary>1 (text) or 2 (binary).</summary>
    public required int Version { get; init; }

    public required ProxyCommand Command { get; init; }

    public required ProxyAddressFamily Family { get; init; }

    /// <summary>False for v2 DGRAM (UDP) and for headers without addresses.</summary>
    public required bool IsStream { get; init; }

    /// <summary>The original client; null when the header carries no IP addresses.</summary>
    public IPEndPoint? Source { get; init; }

    /// <summary>The address the client connected to; null when the header carries no IP addresses.</summary>
    public IPEndPoint? Destination { get; init; }

    /// <summary>
    /// Whether the header names a TCP connection whose addresses replace the connection's own: a PROXY
    /// command over TCP/IPv4 or TCP/IPv6. LOCAL, v1 UNKNOWN, v2 AF_UNSPEC and AF_UNIX, and UDP keep the
    /// connection's own addresses, as HAProxy does ("unsupported protocol, keep local connection address").
    /// </summary>
    public bool NamesTcpClient => Command == ProxyCommand.Proxy && IsStream && Source is not null && Destination is not null;

    /// <summary>Bytes the header occupies (v2: TLVs included); the connection's own data starts here.</summary>
    public required int Length { get; init; }
}
