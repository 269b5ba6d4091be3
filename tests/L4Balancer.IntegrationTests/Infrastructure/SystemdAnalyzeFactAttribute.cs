namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs systemd-analyze (Debian package <c>systemd</c>).</summary>
public sealed class SystemdAnalyzeFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("systemd-analyze");

    public SystemdAnalyzeFactAttribute()
    {
        if (Path is null)
        {
            Skip = "systemd-analyze not installed (Debian package \"systemd\")";
        }
    }
}
