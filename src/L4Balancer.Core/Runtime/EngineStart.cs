using L4Balancer.Core.Handover;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// How an engine starts when it takes over from a previous process (a binary upgrade): the generation
/// to serve as (the predecessor's + 1), the backends the operator drained there, and the listening
/// sockets it handed over. A fresh start uses <see cref="Fresh"/>.
/// </summary>
internal sealed record EngineStart(long Generation, IReadOnlyList<DrainedBackend> Drains, AdoptedSockets? Adopted)
{
    public static EngineStart Fresh { get; } = new(1, [], null);
}
