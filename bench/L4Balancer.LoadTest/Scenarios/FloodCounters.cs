namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// Tenant A's counters, shared by the flood workers and slowloris connections (interlocked).
/// Flood counters count connection attempts started inside the measured window; the Live pair
/// counts every attempt, for the progress line; slowloris counters cover the whole run.
/// </summary>
internal sealed class FloodCounters
{
    public long LiveAttempts;
    public long LiveAccepted;
    public long Attempts;
    public long Accepted;
    public long Refused;
    public long ConnectTimeouts;
    public long ConnectErrors;
    public long Served;
    public long ClosedByPeer;
    public long Stalled;
    public long SlowlorisOpened;
    public long SlowlorisClosedByPeer;
    public long SlowlorisOpen;
    public long SlowlorisOpenAtEnd;
}
