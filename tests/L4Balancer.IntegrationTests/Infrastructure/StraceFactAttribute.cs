using System.Diagnostics;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A fact that runs the balancer under strace and reads systemd's syscall groups: it needs strace (and
/// permission to trace, which some containers deny) and systemd-analyze (Debian packages <c>strace</c>,
/// <c>systemd</c>; CI installs both).
/// </summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("strace");

    private static readonly Lazy<string?> Unavailable = new(Probe);

    public StraceFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        if (Path is null)
        {
            return "strace not installed (Debian package \"strace\")";
        }

        if (SystemdAnalyzeFactAttribute.Path is null)
        {
            return "systemd-analyze not installed (Debian package \"systemd\")";
        }

        var info = new ProcessStartInfo(Path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-f", "-o", "/dev/null", "true" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"strace cannot trace here (ptrace not permitted?): {errors.Trim()}";
    }
}
