namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// soak: the mix against a balancer process the scenario started itself, and what the process
/// looked like over the run and after every client had gone. <see cref="SessionsOpenAtEnd"/> is
/// /api/status <c>connections_open</c> (every open socket pair, admitted or not) and
/// <see cref="ConnectionsActiveAtEnd"/> the sum of <c>l4lb_connections_active</c>; both must be 0.
/// </summary>
internal sealed record SoakResult(
    string Balancer,
    int Pid,
    string WorkDirectory,
    double RunSeconds,
    double SampleIntervalSeconds,
    double ClientHelloTimeoutSeconds,
    RrResult Rr,
    ChurnResult Churn,
    IReadOnlyList<SideLoadResult> SideLoads,
    ResourceSummary Rss,
    ResourceSummary Descriptors,
    IReadOnlyList<SoakSample> Samples,
    long? SessionsOpenAtEnd,
    long? ConnectionsActiveAtEnd,
    IReadOnlyDictionary<string, long> BalancerRejections,
    int? BalancerExitCode,
    long ErrorsTotal,
    string? Note);
