namespace L4Balancer.Core.ProxyProtocol;

/// <summary>The forwarded connection's family and transport as the header names them (v1 TCP4 = Inet + Stream).</summary>
internal enum ProxyAddressFamily
{
    /// <summary>v1 UNKNOWN, v2 AF_UNSPEC or a LOCAL command: no addresses.</summary>
    Unspecified,
    Inet,
    Inet6,

    /// <summary>v2 AF_UNIX: the 108-byte paths are skipped, not carried.</summary>
    Unix,
}
