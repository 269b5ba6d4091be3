namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A fact that needs a headless Chromium (Debian package <c>chromium</c>; CI installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Path is null)
        {
            Skip = "chromium not installed (Debian package \"chromium\")";
        }
    }
}
