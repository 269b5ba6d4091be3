namespace L4Balancer.Core.Runtime;

/// <summary>
/// Outcomes of config reloads (SIGHUP and <c>POST /api/reload</c>), the source of
/// <c>l4lb_config_reloads_total{result}</c>. Kept by the engine so they outlive every snapshot.
/// </summary>
internal sealed class ReloadCounters
{
    private long _ok;
    private long _error;

    public long Ok => Interlocked.Read(ref _ok);

    public long Error => Interlocked.Read(ref _error);

    public void Record(bool succeeded) => Interlocked.Increment(ref succeeded ? ref _ok : ref _error);
}
