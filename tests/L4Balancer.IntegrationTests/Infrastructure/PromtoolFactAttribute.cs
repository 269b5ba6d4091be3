namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs Prometheus's promtool (Debian package <c>prometheus</c>; CI installs it).</summary>
public sealed class PromtoolFactAttribute : FactAttribute
{
    public static readonly string? Path = ExternalTool.Find("promtool");

    public PromtoolFactAttribute()
    {
        if (Path is null)
        {
            Skip = "promtool not installed (Debian package \"prometheus\")";
        }
    }
}
