namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// idle: <see cref="BytesPerConnection"/> = (settled RSS − RSS before) / opened connections, for the
/// process <see cref="Pid"/>. <see cref="AliveAtEnd"/> counts connections that still answered a
/// second request after the hold.
/// </summary>
internal sealed record IdleResult(
    int Requested,
    int Opened,
    int Failed,
    int AliveAtEnd,
    double HeldSeconds,
    int? Pid,
    string? RssSource,
    long? RssBeforeBytes,
    long? RssAfterBytes,
    IReadOnlyList<long> RssSamplesBytes,
    long? RssSpreadBytes,
    double? BytesPerConnection,
    LatencySummary FirstRequest,
    ErrorSummary Errors);
