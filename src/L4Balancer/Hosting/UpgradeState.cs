namespace L4Balancer.Hosting;

/// <summary>
/// Where this process stands in a binary upgrade, for what it tells systemd: a successor sends READY=1
/// (with MAINPID=) only once the handover is committed, and a process that handed over, or a successor
/// that was aborted, must not send STOPPING=1 (with NotifyAccess=all it would stop the unit, new process
/// included).
/// </summary>
internal sealed class UpgradeState(UpgradeSuccessor? successor)
{
    private volatile int _handedOverTo;
    private volatile bool _aborted;

    /// <summary>Set when this process was started by a predecessor's upgrade.</summary>
    public UpgradeSuccessor? Successor => successor;

    /// <summary>The successor's pid once this process handed its sockets over, else 0.</summary>
    public int HandedOverTo
    {
        get => _handedOverTo;
        set => _handedOverTo = value;
    }

    /// <summary>This process was started as a successor and the predecessor called the upgrade off.</summary>
    public bool Aborted
    {
        get => _aborted;
        set => _aborted = value;
    }

    public bool DeferReady => successor is not null;

    public bool SuppressStopping => HandedOverTo != 0 || Aborted;
}
