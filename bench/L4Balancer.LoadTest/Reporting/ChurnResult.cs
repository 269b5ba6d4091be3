namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// churn: one connection per request. <see cref="Connect"/> is the TCP handshake as the client sees
/// it (connect call → connected); <see cref="Request"/> runs from the intended start (open loop) or
/// the actual start (closed loop) to the server's close.
/// </summary>
internal sealed record ChurnResult(
    int Workers,
    double TargetRate,
    double MeasuredSeconds,
    long Connections,
    double ConnectionsPerSecond,
    long Behind,
    LatencySummary Connect,
    LatencySummary Request,
    ErrorSummary Errors);
