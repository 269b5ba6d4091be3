namespace L4Balancer.Core.Runtime;

/// <summary>This process took over from <paramref name="ParentPid"/> at <paramref name="At"/> (a binary upgrade).</summary>
internal sealed record Takeover(int ParentPid, DateTimeOffset At);
