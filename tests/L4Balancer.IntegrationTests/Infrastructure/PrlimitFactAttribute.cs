namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs <c>prlimit</c> (util-linux) and Linux's /proc to lower and watch a process's open-files limit.</summary>
public sealed class PrlimitFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("prlimit");

    public PrlimitFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (/proc, RLIMIT_NOFILE)";
        }
        else if (Path is null)
        {
            Skip = "prlimit not installed (Debian package \"util-linux\")";
        }
    }
}
