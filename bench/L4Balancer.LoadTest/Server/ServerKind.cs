namespace L4Balancer.LoadTest.Server;

internal enum ServerKind
{
    /// <summary>HTTP/1.1 keep-alive: "200 ok\n" with Content-Length for each request head; closes after "Connection: close".</summary>
    Http,

    /// <summary>Writes back whatever it reads.</summary>
    Echo,

    /// <summary>Reads and drops everything.</summary>
    Discard,

    /// <summary>soak's long stream: after the first bytes, a paced chunk at a time, then FIN.</summary>
    Stream,
}
