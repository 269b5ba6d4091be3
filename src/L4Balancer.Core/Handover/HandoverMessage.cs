namespace L4Balancer.Core.Handover;

/// <summary>
/// One message of the upgrade conversation (docs/upgrade-design.md). The successor says <c>hello</c>
/// (or <c>error</c>), the running process answers <c>state</c> with the sockets, then <c>fds</c> frames
/// while more than one message's worth of descriptors remain; the successor says <c>ready</c> (or
/// <c>error</c>); the running process ends it with <c>commit</c> or <c>abort</c>, and after a commit says
/// <c>stopped</c> once it no longer accepts, so that the successor's READY=1 means "everything lands here".
/// </summary>
internal sealed record HandoverMessage
{
    public const string Hello = "hello";
    public const string Error = "error";
    public const string State = "state";
    public const string Fds = "fds";
    public const string Ready = "ready";
    public const string Commit = "commit";
    public const string Abort = "abort";
    public const string Stopped = "stopped";

    public required string Type { get; init; }

    public int? Pid { get; init; }

    public string? Version { get; init; }

    /// <summary>With <c>error</c>: every line the successor would print (config errors with FILE:LINE).</summary>
    public IReadOnlyList<string>? Errors { get; init; }

    /// <summary>With <c>abort</c>: why.</summary>
    public string? Reason { get; init; }

    /// <summary>With <c>state</c>: the config generation serving now (the successor starts at the next).</summary>
    public long? Generation { get; init; }

    public IReadOnlyList<DrainedBackend>? Drains { get; init; }

    /// <summary>With <c>state</c>: the weights the operator set (issue 17); absent from a predecessor older than that.</summary>
    public IReadOnlyList<WeightedBackend>? Weights { get; init; }

    public long? UpgradesOk { get; init; }

    public long? UpgradesError { get; init; }

    public IReadOnlyList<HandoverSocket>? Sockets { get; init; }
}
