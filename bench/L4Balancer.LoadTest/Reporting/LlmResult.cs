namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// llm: requests intended inside the window (<see cref="Requests"/>), one connection each, sent
/// open loop at <see cref="TargetRate"/>. <see cref="Ttft"/> runs from the intended send time to
/// the response's first byte (the simulator sends its head with the first token, so this is the
/// time to first token: connect + queue wait + prefill, and any lateness of the generator);
/// <see cref="Completion"/> to the last chunk; <see cref="TimePerToken"/> is (last chunk − first
/// byte) ÷ (tokens − 1) per request. Token counts cover every request that finished, window or
/// not. <see cref="ServedBy"/>: completed requests of the window by the instance that answered.
/// <see cref="Unfinished"/>: still streaming at the hard deadline (also counted as timeouts).
/// </summary>
internal sealed record LlmResult(
    double TargetRate,
    double MeasuredSeconds,
    long Requests,
    long Completed,
    double AchievedRate,
    long Unfinished,
    long PeakInFlight,
    long TokensReceived,
    long TokensExpected,
    double MeanPromptBytes,
    double MeanTokensAsked,
    double PromptMu,
    double PromptSigma,
    double TokensMu,
    double TokensSigma,
    int Seed,
    LatencySummary Ttft,
    LatencySummary Completion,
    LatencySummary TimePerToken,
    LatencySummary Connect,
    LatencySummary SendLag,
    IReadOnlyDictionary<string, long> ServedBy,
    ErrorSummary Errors);
