namespace L4Balancer.IntegrationTests.Tls;

/// <summary>Finds the openssl command-line tool: /usr/bin/openssl, else the first one on PATH.</summary>
internal static class Openssl
{
    private static readonly Lazy<string?> Found = new(Find);

    public static string? Path => Found.Value;

    public const string SkipReason = "openssl not installed (neither /usr/bin/openssl nor openssl on PATH)";

    private static string? Find()
    {
        if (File.Exists("/usr/bin/openssl"))
        {
            return "/usr/bin/openssl";
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => System.IO.Path.Combine(dir, "openssl"))
            .FirstOrDefault(File.Exists);
    }
}
