using System.Globalization;
using System.IO.Enumeration;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Telemetry;

/// <summary>
/// The process figures Prometheus' client libraries export under the same names (<c>process_*</c>), so
/// dashboards and alerts written for any exporter work: memory, CPU and descriptors. Linux only (read from
/// /proc and getrlimit); elsewhere, and where a figure cannot be read, that series is left out rather
/// than reported as 0.
/// </summary>
internal static class ProcessFigures
{
    // errno EMFILE: the .NET IOException for a failed open carries the raw errno as its HResult on Unix.
    private const int TooManyOpenFiles = 24;

    /// <summary>Resident set size in bytes (/proc/self/statm, second field, in pages), or null.</summary>
    public static long? ResidentMemoryBytes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // "size resident shared text lib data dt", in pages.
            var fields = File.ReadAllText("/proc/self/statm").Split(' ', 3);
            return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages)
                ? pages * Environment.SystemPageSize
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // no descriptor to open the file (EMFILE): this scrape goes without the figure
        }
    }

    /// <summary>User and system CPU time of the whole process (getrusage), in seconds.</summary>
    public static double CpuSeconds() => Environment.CpuUsage.TotalTime.TotalSeconds;

    /// <summary>The open-files soft limit (RLIMIT_NOFILE), or null.</summary>
    public static long? MaxDescriptors() => DescriptorLimit.ReadSoft();

    /// <summary>
    /// Descriptors open now: the entries of /proc/self/fd, less the one listing them. Counted without a
    /// string per entry (a balancer holds two per connection). When the directory cannot be opened because
    /// no descriptor is free (EMFILE), every descriptor below the soft limit is in use, so the count is the
    /// limit itself: that is reported rather than nothing, at the moment it matters most.
    /// </summary>
    public static long? OpenDescriptors()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var entries = new FileSystemEnumerable<byte>("/proc/self/fd", static (ref FileSystemEntry _) => 0,
                new EnumerationOptions { IgnoreInaccessible = false, RecurseSubdirectories = false, AttributesToSkip = 0 });
            long count = 0;
            foreach (var _ in entries)
            {
                count++;
            }

            return Math.Max(0, count - 1);
        }
        catch (IOException ex) when (ex.HResult == TooManyOpenFiles)
        {
            return MaxDescriptors();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
