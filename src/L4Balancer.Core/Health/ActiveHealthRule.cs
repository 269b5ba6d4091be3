using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Health;

/// <summary>HAProxy's rise/fall rule for active checks, applied to a backend's counts.</summary>
internal static class ActiveHealthRule
{
    /// <summary>
    /// Records one active check: <paramref name="fall"/> consecutive failures mark the backend down,
    /// <paramref name="rise"/> consecutive passes mark it up. Returns the transition, if this check made one.
    /// </summary>
    public static HealthTransition Record(BackendState backend, bool passed, int rise, int fall) =>
        passed
            ? backend.RecordCheckPassed() >= rise && backend.SetUp(true) ? HealthTransition.Up : HealthTransition.None
            : backend.RecordCheckFailed() >= fall && backend.SetUp(false) ? HealthTransition.Down : HealthTransition.None;

    /// <summary>As <see cref="Record(BackendState, bool, int, int)"/>, keeping <paramref name="result"/> as the backend's last check (its status says why).</summary>
    public static HealthTransition Record(BackendState backend, CheckResult result, int rise, int fall)
    {
        var run = backend.RecordCheck(result);
        return result.Passed
            ? run >= rise && backend.SetUp(true) ? HealthTransition.Up : HealthTransition.None
            : run >= fall && backend.SetUp(false) ? HealthTransition.Down : HealthTransition.None;
    }
}
