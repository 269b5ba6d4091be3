namespace L4Balancer.Core.Balancing;

/// <summary>
/// What a backend last reported about itself (issue 16), from its agent or its metrics; immutable,
/// swapped whole on <see cref="BackendState"/> so a picker reads one consistent report.
/// </summary>
/// <param name="ReceivedAt">The <see cref="TimeProvider"/> timestamp when the report arrived (its age decides staleness).</param>
/// <param name="Load">The load figure (Prometheus source: the weighted sum of the configured gauges); null when the report has none.</param>
/// <param name="WeightPercent">An agent's <c>75%</c>: the share of the configured weight; null when not said.</param>
/// <param name="MaxConnections">An agent's <c>maxconn:N</c>; null when not said.</param>
/// <param name="State">An agent's state keyword, if any.</param>
/// <param name="Reason">The text after <c>#</c> in an agent's line, or why the last poll failed.</param>
internal sealed record BackendReport(long ReceivedAt, double? Load, int? WeightPercent, int? MaxConnections, AgentState State, string? Reason);
