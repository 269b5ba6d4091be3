namespace L4Balancer.LoadTest.Reporting;

/// <summary>The options a run used, as the JSON records them (so a file says how it was made).</summary>
internal sealed record RunSettings(
    double DurationSeconds,
    double WarmupSeconds,
    double GraceSeconds,
    double TimeoutSeconds,
    int Connections,
    double Rate,
    string Framing,
    string Request,
    string? Mode,
    int? Pid,
    int? FloodConnections,
    int? Slowloris,
    string? SourceA,
    bool InlineCompletions);
