using Microsoft.AspNetCore.Http;

namespace L4Balancer.Admin;

/// <summary>The dashboard page (<c>GET /</c>): one self-contained HTML file embedded in the executable.</summary>
internal static class Dashboard
{
    public const string Resource = "L4Balancer.Admin.dashboard.html";

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(Dashboard).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"embedded resource {Resource} is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Html => Page.Value;

    /// <summary>
    /// The page loads nothing from anywhere (the machines running it may be offline); the policy makes the
    /// browser hold it to that, and keeps it out of frames.
    /// </summary>
    public static void AddHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
