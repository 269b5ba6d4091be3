namespace L4Balancer.Core.Config;

/// <summary><c>[tenant.feedback] source</c>: where a backend's load report comes from (issue 16).</summary>
internal enum FeedbackSource
{
    /// <summary>HAProxy's agent-check protocol: one ASCII line from a side port.</summary>
    Agent,

    /// <summary>The backend's Prometheus (or OpenMetrics) exposition, e.g. vLLM's <c>/metrics</c>.</summary>
    Prometheus,
}
