namespace L4Balancer.LoadTest.Server;

internal enum ServerKind
{
    /// <summary>HTTP/1.1 keep-alive: "200 ok\n" with Content-Length for each request head; closes after "Connection: close".</summary>
    Http,

    /// <summary>Writes back whatever it reads.</summary>
    Echo,

    /// <summary>Reads and drops everything.</summary>
    Discard,

    /// <summary>
    /// LLM-shaped: per connection, after the first bytes, a small chunk carrying its send time every
    /// interval, then FIN (<see cref="ChunkStreamServer"/>; the <c>stream</c> scenario reads it).
    /// </summary>
    Stream,

    /// <summary>
    /// A simulated LLM instance: generation slots, a FIFO queue, prefill and token pacing, vLLM's
    /// /metrics and an agent port (<see cref="Llm.LlmServer"/>; the <c>llm</c> scenario reads it).
    /// </summary>
    Llm,

    /// <summary>soak's long stream: after the first bytes, a paced 1 KiB chunk at a time, then FIN (not offered by serve).</summary>
    Paced,
}
