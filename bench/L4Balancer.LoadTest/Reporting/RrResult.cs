namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// rr: <see cref="Latency"/> is measured from the intended send time (open loop) or equals
/// <see cref="Service"/> (closed loop, <see cref="TargetRate"/> 0). <see cref="Requests"/> counts
/// responses to requests intended inside the window; <see cref="Behind"/> the requests intended
/// there that were never sent because their connection was still waiting for earlier responses.
/// </summary>
internal sealed record RrResult(
    int Connections,
    double TargetRate,
    double MeasuredSeconds,
    long Requests,
    double AchievedRate,
    long Behind,
    long Reconnects,
    LatencySummary Latency,
    LatencySummary Service,
    LatencySummary SendLag,
    ErrorSummary Errors);
