using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// The answer of <see cref="BalancerEngine.SetDraining(string, string, bool)"/> and <see cref="BalancerEngine.SetWeight"/>: why nothing happened, or the backend it
/// applied to, so a caller (the admin API) can answer with the backend's state without looking it up again.
/// </summary>
internal sealed record DrainResult(DrainStatus Status, BackendState? Backend = null)
{
    public static DrainResult NotStarted { get; } = new(DrainStatus.NotStarted);

    public static DrainResult NoSuchTenant { get; } = new(DrainStatus.NoSuchTenant);

    public static DrainResult NoSuchBackend { get; } = new(DrainStatus.NoSuchBackend);

    public bool Applied => Status == DrainStatus.Applied;
}
