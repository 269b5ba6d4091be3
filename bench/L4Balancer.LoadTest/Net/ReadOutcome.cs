namespace L4Balancer.LoadTest.Net;

internal enum ReadOutcome
{
    /// <summary>A complete response with a 1xx–3xx status (or a complete fixed-size response).</summary>
    Ok,

    /// <summary>A complete response whose status is 4xx or 5xx; the connection is still usable.</summary>
    Status,

    /// <summary>The peer closed before the response was complete.</summary>
    Eof,

    /// <summary>The bytes are not a response we can frame (see <see cref="ResponseReader.LastError"/>).</summary>
    Protocol,
}
