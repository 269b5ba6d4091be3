namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs strace and systemd-analyze (Debian packages <c>strace</c>, <c>systemd</c>; CI installs both).</summary>
public sealed class StraceFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("strace");

    public StraceFactAttribute()
    {
        if (Path is null)
        {
            Skip = "strace not installed (Debian package \"strace\")";
        }
        else if (SystemdAnalyzeFactAttribute.Path is null)
        {
            Skip = "systemd-analyze not installed (Debian package \"systemd\")";
        }
    }
}
