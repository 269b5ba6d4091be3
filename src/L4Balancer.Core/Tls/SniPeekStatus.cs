namespace L4Balancer.Core.Tls;

/// <summary>How the SNI peek of a connection ended (<see cref="ClientHelloBuffer.Advance"/> gives the verdicts on the bytes).</summary>
internal enum SniPeekStatus
{
    /// <summary>A complete ClientHello with a host name: route by it.</summary>
    Sni,

    /// <summary>A complete ClientHello without a host name: the listener's fallback tenant, if any.</summary>
    NoSni,

    /// <summary>The client does not speak TLS (see <see cref="ClientHelloResult.NotTls"/>).</summary>
    NotTls,

    /// <summary>A broken ClientHello (see <see cref="ClientHelloResult.Malformed"/>).</summary>
    Malformed,

    /// <summary>The ClientHello would exceed the byte limit.</summary>
    TooLarge,

    /// <summary>The client finished sending (FIN) before a complete ClientHello; zero bytes included.</summary>
    Truncated,

    /// <summary>The timeout token fired before a complete ClientHello (<c>client_hello_timeout</c>).</summary>
    Timeout,

    /// <summary>The session closed the connection while it waited (a reset, a drain, an eviction).</summary>
    Canceled,
}
