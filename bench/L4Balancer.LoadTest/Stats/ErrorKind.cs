namespace L4Balancer.LoadTest.Stats;

internal enum ErrorKind
{
    /// <summary>Connect refused, reset or unreachable.</summary>
    Connect,

    /// <summary>No connection or no (complete) response within --timeout.</summary>
    Timeout,

    Send,

    /// <summary>Receive failed: reset by the peer, or another socket error.</summary>
    Receive,

    /// <summary>The peer closed before the response was complete.</summary>
    Eof,

    /// <summary>A response that cannot be framed.</summary>
    Protocol,

    /// <summary>A complete response with status 4xx or 5xx.</summary>
    Status,
}
