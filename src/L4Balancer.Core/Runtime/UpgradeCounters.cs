namespace L4Balancer.Core.Runtime;

/// <summary>
/// Outcomes of binary upgrades (SIGUSR2), the source of <c>l4lb_upgrades_total{result}</c>. A process
/// that took over starts from its predecessor's counts (carried in the handover) plus its own success,
/// so the series reads as the history of the service, not of one process.
/// </summary>
internal sealed class UpgradeCounters
{
    private long _ok;
    private long _error;

    public long Ok => Interlocked.Read(ref _ok);

    public long Error => Interlocked.Read(ref _error);

    public void Record(bool succeeded) => Interlocked.Increment(ref succeeded ? ref _ok : ref _error);

    /// <summary>Adds the predecessor's counts (once, when this process takes over).</summary>
    public void Carry(long ok, long error)
    {
        Interlocked.Add(ref _ok, ok);
        Interlocked.Add(ref _error, error);
    }
}
