using System.Diagnostics;
using Microsoft.Extensions.Hosting.Systemd;

namespace L4Balancer.Hosting;

/// <summary>The sd_notify messages SPEC "Signals and systemd" names.</summary>
internal static class SystemdStates
{
    public static ServiceState Ready(string status) => new($"READY=1\nSTATUS={status}");

    /// <summary>
    /// A successor after a binary upgrade: MAINPID= first (systemd applies the fields of one message in
    /// order), so the unit follows the new process before READY=1 is read.
    /// </summary>
    public static ServiceState TookOver(int pid, string status) => new($"MAINPID={pid}\nREADY=1\nSTATUS={status}");

    public static ServiceState Stopping(string status) => new($"STOPPING=1\nSTATUS={status}");

    /// <summary>
    /// RELOADING=1 with the CLOCK_MONOTONIC time systemd (253+, Type=notify-reload) requires alongside it;
    /// send <see cref="Ready"/> when the reload is done, whatever its outcome.
    /// </summary>
    public static ServiceState Reloading() => new($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}");

    // Stopwatch on Linux reads CLOCK_MONOTONIC.
    private static long MonotonicMicroseconds() => (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));
}
