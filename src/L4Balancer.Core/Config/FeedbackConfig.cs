namespace L4Balancer.Core.Config;

/// <summary>
/// The <c>[tenant.feedback]</c> table (issue 16): how often and from where each backend's load is read.
/// Reports feed <c>balance = "least_load"</c> and the status; only an agent's <c>drain</c>, <c>maint</c>,
/// <c>down</c>, <c>fail</c> or <c>stopped</c> ever takes a backend out.
/// </summary>
internal sealed record FeedbackConfig
{
    public required FeedbackSource Source { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>For one poll (connect, send, read); default: the interval.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A report older than this is ignored (least_load falls back to least connections for that backend); default 3 × interval.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>source = "agent": the agent's TCP port on each backend's address (a backend may override it).</summary>
    public int AgentPort { get; init; }

    /// <summary>source = "agent": sent to the agent after connecting (HAProxy's <c>agent-send</c>); null = nothing.</summary>
    public string? AgentSend { get; init; }

    /// <summary>source = "prometheus": the URL, with <c>{host}</c> and <c>{port}</c> replaced by the backend's.</summary>
    public string? MetricsUrl { get; init; }

    /// <summary>source = "prometheus": HTTPS without verifying the certificate.</summary>
    public bool Insecure { get; init; }

    /// <summary>source = "prometheus": the load figure's terms.</summary>
    public IReadOnlyList<LoadTerm> Load { get; init; } = [];
}
