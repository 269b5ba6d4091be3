namespace L4Balancer.Core.Runtime;

/// <summary>What <see cref="BalancerEngine.ReloadAsync"/> did: the generation now serving, or why the old config was kept.</summary>
internal sealed record ReloadResult(bool Succeeded, long Generation, IReadOnlyList<string> Errors)
{
    public static ReloadResult Failed(long generation, string error) => new(false, generation, [error]);
}
