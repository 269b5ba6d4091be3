namespace L4Balancer.Core.Config;

/// <summary>What <c>balance = "maglev"</c> hashes to choose a backend.</summary>
internal enum HashKey
{
    /// <summary>The client's address (an IPv4-mapped IPv6 address counts as its IPv4 address).</summary>
    ClientIp,

    /// <summary>The TLS server name, lower-cased; the client's address when the connection has none.</summary>
    Sni,
}
