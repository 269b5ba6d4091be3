using System.Globalization;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// Resident memory of a process from /proc. smaps_rollup walks the page tables, so its Rss is
/// exact; status's VmRSS comes from counters the kernel updates lazily (per-CPU batches of up to
/// 64 pages), which is noise when the delta per connection is a few hundred bytes.
/// </summary>
internal static class ProcessMemory
{
    public static bool TryReadRss(int pid, out long bytes, out string source)
    {
        if (TryReadKilobytes($"/proc/{pid}/smaps_rollup", "Rss:", out var kilobytes))
        {
            bytes = kilobytes * 1024;
            source = "smaps_rollup Rss";
            return true;
        }

        if (TryReadKilobytes($"/proc/{pid}/status", "VmRSS:", out kilobytes))
        {
            bytes = kilobytes * 1024;
            source = "status VmRSS";
            return true;
        }

        bytes = 0;
        source = "";
        return false;
    }

    private static bool TryReadKilobytes(string path, string key, out long kilobytes)
    {
        kilobytes = 0;
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    var value = line.AsSpan(key.Length).Trim();
                    var space = value.IndexOf(' ');
                    return long.TryParse(space < 0 ? value : value[..space], NumberStyles.None, CultureInfo.InvariantCulture, out kilobytes);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return false;
    }
}
