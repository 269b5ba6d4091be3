using System.Globalization;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// CPU time (user + system) of a process and its direct children, from /proc/PID/stat: the
/// proxy under test, with nginx's workers under their master. /proc reports clock ticks of
/// USER_HZ, which Linux fixes at 100 for user space on every architecture we run on.
/// </summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100;

    /// <summary>Seconds of CPU used so far by <paramref name="pid"/> and its children; null if the process is gone.</summary>
    public static double? Seconds(int pid)
    {
        if (ReadStat(pid) is not { } own)
        {
            return null;
        }

        var ticks = own.Ticks;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var child)
                && child != pid && ReadStat(child) is { } stat && stat.Parent == pid)
            {
                ticks += stat.Ticks;
            }
        }

        return ticks / TicksPerSecond;
    }

    private static (int Parent, long Ticks)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
        return fields.Length > 13
            && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
                ? (parent, user + system)
                : null;
    }
}
