using System.Globalization;
using System.Runtime.InteropServices;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>What /proc says about another process: CPU time used, descriptors open, the open-files limit.</summary>
internal static partial class ProcFs
{
    private const int ScClkTck = 2; // _SC_CLK_TCK on Linux

    private static readonly double TicksPerSecond = Sysconf(ScClkTck) is > 0 and var t ? t : 100;

    /// <summary>utime + stime of every thread of <paramref name="pid"/>, in seconds (/proc/PID/stat fields 14 and 15).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");

        // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>CPU seconds <paramref name="pid"/> uses over <paramref name="window"/> of wall time.</summary>
    public static async Task<double> CpuOverAsync(int pid, TimeSpan window)
    {
        var before = CpuSeconds(pid);

        // A measurement window, not a wait for a condition: the figure is the CPU used meanwhile.
        await Task.Delay(window);
        return CpuSeconds(pid) - before;
    }

    /// <summary>
    /// The least CPU <paramref name="pid"/> used in any of up to <paramref name="windows"/> consecutive
    /// windows, stopping at the first below <paramref name="enough"/>. A spinning thread is busy in
    /// every window; work that merely spills into one (tiered JIT, a GC, the last refusals finishing,
    /// on a machine whose other cores are busy) is not, so this tells the two apart under load too.
    /// </summary>
    public static async Task<double> QuietestCpuOverAsync(int pid, TimeSpan window, double enough, int windows = 3)
    {
        var least = double.MaxValue;
        for (var i = 0; i < windows && least >= enough; i++)
        {
            least = Math.Min(least, await CpuOverAsync(pid, window));
        }

        return least;
    }

    /// <summary>
    /// Waits until <paramref name="pid"/> uses less than a tenth of a core over half a second: a process
    /// that just started still compiles (tiered JIT) for a while, which is not what a test measures.
    /// </summary>
    public static Task WaitForQuietAsync(int pid, TimeSpan? timeout = null) =>
        Deadline.UntilAsync(async () => await CpuOverAsync(pid, TimeSpan.FromMilliseconds(500)) < 0.05, timeout, because: $"process {pid} to settle");

    public static int OpenDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>The soft and hard "Max open files" of <paramref name="pid"/>.</summary>
    public static (long Soft, long Hard) OpenFilesLimit(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);
}
