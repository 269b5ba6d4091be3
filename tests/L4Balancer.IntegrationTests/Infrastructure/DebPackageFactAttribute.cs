namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A fact that installs the Debian package system-wide (a system user, files under /opt, /etc, /usr), so
/// it runs only where that is wanted: as root, with dpkg-deb and dpkg, with <c>L4B_TEST_DEB=1</c> (set by
/// .ci/run, which runs as root on a throwaway machine), and never over an l4balancer package already there.
/// </summary>
public sealed class DebPackageFactAttribute : FactAttribute
{
    public const string Variable = "L4B_TEST_DEB";

    public static readonly string? DpkgDeb = ExternalTool.Find("dpkg-deb");

    public static readonly string? Dpkg = ExternalTool.Find("dpkg");

    public DebPackageFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux and dpkg";
        }
        else if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"installs a package system-wide: set {Variable}=1, as root on a throwaway machine (.ci/run does)";
        }
        else if (DpkgDeb is null || Dpkg is null)
        {
            Skip = "dpkg-deb or dpkg not installed (Debian package \"dpkg\")";
        }
        else if (!IsRoot())
        {
            Skip = "dpkg -i needs root";
        }
        else if (Directory.Exists("/var/lib/dpkg/info") && Directory.EnumerateFiles("/var/lib/dpkg/info", "l4balancer.*").Any())
        {
            Skip = "an l4balancer package is installed (or its config files are) on this machine: the test would remove it";
        }
    }

    /// <summary>The effective uid from /proc/self/status ("Uid: real effective saved fs").</summary>
    private static bool IsRoot() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } line
        && line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries) is [_, _, "0", ..];
}
