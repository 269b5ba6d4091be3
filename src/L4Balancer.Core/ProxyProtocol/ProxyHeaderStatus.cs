namespace L4Balancer.Core.ProxyProtocol;

/// <summary>What <see cref="ProxyHeaderParser"/> made of the first bytes of a connection.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>A whole, valid header; <see cref="ProxyHeaderParseResult.Header"/> says what it carried.</summary>
    Complete,

    /// <summary>Valid so far but not finished: read more. At end of stream this is a truncated header.</summary>
    Incomplete,

    /// <summary>Neither "PROXY " (v1) nor the v2 signature.</summary>
    NotProxyProtocol,

    /// <summary>v1: no CRLF within the first 107 bytes.</summary>
    LineTooLong,

    /// <summary>v1: the line does not match the grammar (the message names the field).</summary>
    MalformedLine,

    /// <summary>v2: the version nibble is not 2.</summary>
    UnsupportedVersion,

    /// <summary>v2: the command is neither LOCAL (0) nor PROXY (1).</summary>
    UnsupportedCommand,

    /// <summary>v2: the family/transport byte is none of the spec's combinations.</summary>
    UnsupportedFamily,

    /// <summary>v2: the length is too short for the addresses of the family, or a TLV overruns it.</summary>
    BadLength,

    /// <summary>
    /// v2: the length announces more than a receiver takes (<see cref="ProxyHeaderBuffer.MaxV2Length"/>);
    /// the parser itself has no such limit, the buffer that reads a header from a client does.
    /// </summary>
    TooLarge,
}
