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

    /// <summary>Bytes the header occupies (v2: TLVs included); the connection's own data starts here.</summary>
    public required int Length { get; init; }
}
