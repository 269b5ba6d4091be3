namespace L4Balancer.Core.Tls;

/// <summary>What <see cref="ClientHelloReader"/> could tell from the bytes seen so far.</summary>
internal enum ClientHelloResult
{
    /// <summary>Nothing wrong yet, but the ClientHello is not complete: wait for more bytes.</summary>
    NeedMoreData,

    /// <summary>A complete ClientHello with a host_name; the name is lower-cased, trailing dot removed.</summary>
    Sni,

    /// <summary>A complete, well-formed ClientHello without a server_name extension or without a host_name in it.</summary>
    NoSni,

    /// <summary>
    /// The first bytes are not a TLS handshake record carrying a ClientHello (wrong content type,
    /// record version not 3.0–3.4, or another handshake type).
    /// </summary>
    NotTls,

    /// <summary>A length or value is inconsistent at some nesting level, or the host name is not a host name.</summary>
    Malformed,

    /// <summary>The ClientHello would need more than the configured number of bytes to arrive.</summary>
    TooLarge,
}
