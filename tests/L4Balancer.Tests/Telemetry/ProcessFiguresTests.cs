using L4Balancer.Core.Telemetry;

namespace L4Balancer.Tests.Telemetry;

/// <summary>The <c>process_*</c> figures of this (test) process, checked against what Linux says directly.</summary>
public class ProcessFiguresTests
{
    [Fact]
    public void Open_descriptors_follow_files_opened_and_closed()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Null(ProcessFigures.OpenDescriptors());
            return;
        }

        // Other test threads open and close descriptors meanwhile: compare with a margin, over many files.
        var before = ProcessFigures.OpenDescriptors()!.Value;
        var files = Enumerable.Range(0, 200).Select(_ => File.OpenRead("/proc/self/stat")).ToList();
        try
        {
            var during = ProcessFigures.OpenDescriptors()!.Value;
            var listed = Directory.GetFileSystemEntries("/proc/self/fd").Length - 1; // the same count, the plain way
            Assert.InRange(during - before, 150, 250);
            Assert.InRange(during, listed - 16, listed + 16);
            Assert.InRange(during, 1, ProcessFigures.MaxDescriptors()!.Value);
        }
        finally
        {
            files.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public void Memory_cpu_and_the_limit_are_this_processes()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var rssKib = long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        var rss = ProcessFigures.ResidentMemoryBytes()!.Value;
        Assert.InRange(rss, rssKib * 1024 / 2, rssKib * 1024 * 2); // read a moment apart, by two files

        var limit = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal))["Max open files".Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.Equal(long.Parse(limit, System.Globalization.CultureInfo.InvariantCulture), ProcessFigures.MaxDescriptors());

        var cpu = ProcessFigures.CpuSeconds();
        Assert.True(cpu > 0, "a test process has used some CPU");
        Assert.True(ProcessFigures.CpuSeconds() >= cpu, "CPU time does not go back");
    }
}
