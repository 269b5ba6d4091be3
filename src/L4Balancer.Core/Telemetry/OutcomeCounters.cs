namespace L4Balancer.Core.Telemetry;

/// <summary>
/// Successes and failures of an operation the engine outlives snapshots for: config reloads (SIGHUP and
/// <c>POST /api/reload</c>, <c>l4lb_config_reloads_total{result}</c>) and binary upgrades (SIGUSR2,
/// <c>l4lb_upgrades_total{result}</c>). A process that took over carries its predecessor's upgrade counts
/// (<see cref="Carry"/>), so that series reads as the history of the service, not of one process.
/// </summary>
internal sealed class OutcomeCounters
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
