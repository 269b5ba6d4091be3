namespace L4Balancer.LoadTest.Reporting;

/// <summary>
/// neighbours, tenant A: what the flood and the slowloris connections met, counted over the
/// measured window. Accepted = the TCP connect succeeded; then either the target answered
/// (<see cref="Served"/>), closed or reset it without an answer (<see cref="ClosedByPeer"/>),
/// or said nothing within --timeout (<see cref="Stalled"/>).
/// </summary>
internal sealed record FloodResult(
    int Workers,
    long Attempts,
    long Accepted,
    long Refused,
    long ConnectTimeouts,
    long ConnectErrors,
    long Served,
    long ClosedByPeer,
    long Stalled,
    int Slowloris,
    long SlowlorisOpened,
    long SlowlorisClosedByPeer,
    long SlowlorisOpenAtEnd);
