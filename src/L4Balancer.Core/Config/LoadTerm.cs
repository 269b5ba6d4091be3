namespace L4Balancer.Core.Config;

/// <summary>
/// One term of a Prometheus load figure: <c>{ metric = "vllm:num_requests_waiting", weight = 1.0,
/// labels = { model_name = "llama" } }</c>; the load is the sum over terms of weight × the metric summed
/// over the series whose labels match.
/// </summary>
internal sealed record LoadTerm
{
    public required string Metric { get; init; }

    public double Weight { get; init; } = 1.0;

    /// <summary>Exact label matches; empty = every series of the metric.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}
