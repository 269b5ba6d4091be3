using L4Balancer.Core.Handover;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// How an engine starts when it takes over from a previous process (a binary upgrade): the generation
/// to serve as (the predecessor's + 1), the backends the operator drained there, and the listening
/// sockets it handed over. A fresh start uses <see cref="Fresh"/>.
/// </summary>
internal sealed record EngineStart(long Generation, IReadOnlyList<DrainedBackend> Drains, AdoptedSockets? Adopted)
{
    /// <summary>The weights the operator set there (issue 17), kept where this config leaves the configured weight alone.</summary>
    public IReadOnlyList<WeightedBackend> Weights { get; init; } = [];

    public static EngineStart Fresh { get; } = new(1, [], null);
}
