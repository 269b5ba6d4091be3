namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// stream: <see cref="ChunkDelay"/> is client receive time − the backend's stamped send time of
/// each chunk received inside the measured window (one CLOCK_MONOTONIC for both processes);
/// <see cref="FirstChunk"/> is request sent → first chunk in, for every stream. Streams end one of
/// four ways: complete (every chunk the header announced, then EOF), short (EOF or reset before
/// that), unfinished (still open at the hard deadline), or never started (connect or send failed:
/// see the errors). <see cref="ChunksExpected"/> sums the chunk counts announced by the streams
/// that got at least one chunk. <see cref="ProxyCpuPercent"/>: CPU of <see cref="Pid"/> and its
/// children over the window ÷ the window, × 100 (100 = one core).
/// </summary>
internal sealed record StreamResult(
    int Connections,
    double MeasuredSeconds,
    long Opened,
    long Complete,
    long Short,
    long Unfinished,
    long ChunksReceived,
    long ChunksExpected,
    long ChunksMeasured,
    double ChunksPerSecond,
    LatencySummary ChunkDelay,
    LatencySummary FirstChunk,
    int? Pid,
    double? ProxyCpuPercent,
    ErrorSummary Errors);
