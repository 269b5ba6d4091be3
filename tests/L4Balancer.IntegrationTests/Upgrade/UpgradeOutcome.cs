namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// One SIGUSR2 as the old process logged it: the pid it started, whether it handed over (and the new
/// generation) or failed (and why: <see cref="Line"/>), with Stopwatch timestamps of the signal and
/// of the test seeing the outcome.
/// </summary>
internal sealed record UpgradeOutcome(int FromPid, int NewPid, bool Succeeded, long? Generation, string Line, long SignalledAt, long EndedAt);
