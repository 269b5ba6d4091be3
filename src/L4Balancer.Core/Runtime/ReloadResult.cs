namespace L4Balancer.Core.Runtime;

/// <summary>
/// What a reload did (<see cref="BalancerEngine.ReloadAsync"/>, or the whole path through
/// <see cref="IConfigReloader"/>): the generation now serving, or why the old config was kept.
/// </summary>
internal sealed record ReloadResult(bool Succeeded, long Generation, IReadOnlyList<string> Errors)
{
    /// <summary>
    /// Nothing to reload from (no config file: the demo runs on its embedded config). Not a config that
    /// failed, so the admin API answers it as "not available" rather than as invalid input.
    /// </summary>
    public bool Unavailable { get; init; }

    public static ReloadResult Applied(long generation) => new(true, generation, []);

    public static ReloadResult Failed(long generation, string error) => new(false, generation, [error]);
}
