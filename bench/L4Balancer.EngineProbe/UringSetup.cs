namespace L4Balancer.EngineProbe;

/// <summary>The io_uring_setup flags tried (<c>--setup</c>).</summary>
internal enum UringSetup
{
    /// <summary>No task-running flags: completions run as task work that interrupts the loop thread (IPI / signal-style notification).</summary>
    Plain,

    /// <summary>IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN: task work waits for the thread's next kernel entry.</summary>
    Coop,

    /// <summary>IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: task work runs only inside io_uring_enter(GETEVENTS), batched.</summary>
    Defer,
}
