using System.Runtime.InteropServices;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>Signals by process id, and the test process as a subreaper for processes it did not start.</summary>
internal static partial class Pids
{
    public const int SIGHUP = 1;
    public const int SIGKILL = 9;
    public const int SIGUSR2 = 12;
    public const int SIGTERM = 15;

    private const int PrSetChildSubreaper = 36;

    private static readonly Lazy<bool> Subreaper = new(() => Prctl(PrSetChildSubreaper, 1, 0, 0, 0) == 0);

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// Makes this (test) process the reaper of its orphaned descendants (PR_SET_CHILD_SUBREAPER): a
    /// balancer started by a balancer the test started is reparented here, not to init, when its parent
    /// exits, so its exit status can be read (<see cref="PidWatch"/>). True if that is in effect.
    /// Descendants orphaned by other tests (a shell's background job, say) stay zombies until the
    /// test run ends; nothing else changes.
    /// </summary>
    public static bool EnsureSubreaper() => Subreaper.Value;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
