namespace L4Balancer.Admin;

/// <param name="Up">False when the checks or the backend's agent (issue 16) say down; <paramref name="DownBy"/> says which.</param>
/// <param name="Draining">True when the operator or the agent drains it; <paramref name="DrainedBy"/> says which.</param>
/// <param name="Weight">The configured weight; <paramref name="EffectiveWeight"/> is what the pickers use (the operator's weight, then an agent's weight% applied).</param>
/// <param name="MaxConnections">The configured cap (0 = none); <paramref name="EffectiveMaxConnections"/> has the agent's maxconn applied.</param>
/// <param name="ReportedLoad">The last reported load (Prometheus source), fresh or not: <paramref name="ReportAgeSeconds"/> tells.</param>
/// <param name="ReportAgeSeconds">Seconds since the last report arrived; null before the first.</param>
/// <param name="ReportStale">True when the last report is older than <c>stale_after</c>.</param>
/// <param name="ReportReason">The agent's <c>#reason</c>, or why the last poll failed.</param>
/// <param name="WeightOverride">The weight set through <c>POST …/weight</c> (issue 17); null when the configured one applies.</param>
/// <param name="AgentState">The agent's last state word (ready, drain, maint, up, down, fail, stopped).</param>
/// <param name="CheckStatus">The last check's outcome with HAProxy's names (L4OK, L4CON, L7STS, DNS, …); null before any check.</param>
/// <param name="CheckDetail">The same in a few words for people, e.g. "HTTP 503 Service Unavailable (expect_status 200-399)".</param>
/// <param name="LastChange">When the backend last went up or down (HAProxy's lastchg); when it was first configured before that.</param>
internal sealed record BackendStatus(
    string Tenant,
    string Address,
    bool Up,
    bool Draining,
    int Active,
    long Total,
    long ConnectFailures,
    int Weight,
    int MaxConnections,
    int EffectiveWeight,
    int EffectiveMaxConnections,
    string[] DrainedBy,
    string[] DownBy,
    double? ReportedLoad,
    double? ReportAgeSeconds,
    bool? ReportStale,
    string? ReportReason,
    string? AgentState,
    int? AgentWeightPercent,
    int? AgentMaxconn,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] int? WeightOverride,
    string? CheckStatus,
    string? CheckDetail,
    DateTimeOffset LastChange);
