using System.Runtime.InteropServices;

namespace L4Balancer.Core.Limits;

/// <summary>
/// The process's open-files limit (RLIMIT_NOFILE) through getrlimit/setrlimit. Linux only: elsewhere
/// every call reports "unknown" and changes nothing, so the balancer runs without a descriptor budget.
/// </summary>
internal static partial class DescriptorLimit
{
    // RLIMIT_NOFILE is 7 on every Linux architecture .NET runs on (x64, arm64, arm, x86).
    private const int RlimitNofile = 7;

    /// <summary>The soft limit now, or null where it cannot be read (not Linux, or the call failed).</summary>
    public static long? ReadSoft() => TryRead(out var limit) ? Clamp(limit.Current) : null;

    /// <summary>
    /// Raises the soft limit to the hard one, as HAProxy and nginx do at start: a balancer's descriptors
    /// are its connections, and the hard limit is what the operator (systemd's <c>LimitNOFILE</c>,
    /// limits.conf) granted. The .NET runtime does the same when it starts on Linux, so this usually
    /// finds nothing to do; it matters where the runtime's raise is skipped. Returns the soft limit
    /// before and after, or null where the limit cannot be read.
    /// </summary>
    public static (long Before, long After)? RaiseSoftToHard()
    {
        if (!TryRead(out var limit))
        {
            return null;
        }

        var before = Clamp(limit.Current);
        if (limit.Current >= limit.Maximum)
        {
            return (before, before);
        }

        var raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
        return SetRLimit(RlimitNofile, in raised) == 0 ? (before, Clamp(limit.Maximum)) : (before, before);
    }

    /// <summary>Descriptors open now (/proc/self/fd), or null if they cannot be counted (no descriptor left to open the directory, not Linux).</summary>
    public static int? CountOpen()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // Less one: the directory's own descriptor, open while it is listed.
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() - 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool TryRead(out RLimit limit)
    {
        limit = default;
        return OperatingSystem.IsLinux() && GetRLimit(RlimitNofile, out limit) == 0;
    }

    // RLIM_INFINITY is ~0UL; no kernel grants that many descriptors (fs.nr_open caps the hard limit).
    private static long Clamp(nuint value) => value > long.MaxValue ? long.MaxValue : (long)value;

    // struct rlimit: two rlim_t, an unsigned long (pointer-sized on Linux).
    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public nuint Current;
        public nuint Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);
}
