namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// soak: one of the loads besides rr and churn (long streams, slow-loris hellos, connections the
/// balancer must reject), counted over the measured window. <see cref="AsExpected"/>: a stream that
/// carried every byte, a slow-loris the balancer closed at <c>client_hello_timeout</c>, a connection
/// closed without a byte from a backend. Everything else is an error, by kind.
/// </summary>
internal sealed record SideLoadResult(
    string Name,
    long Started,
    long AsExpected,
    double PerSecond,
    long Bytes,
    ErrorSummary Errors);
