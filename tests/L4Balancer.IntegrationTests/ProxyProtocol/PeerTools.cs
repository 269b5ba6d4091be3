namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>
/// Finds the real PROXY protocol receivers the interop tests run: nginx with its stream module and
/// HAProxy (Debian: nginx, libnginx-mod-stream, haproxy; .ci/run installs them).
/// </summary>
internal static class PeerTools
{
    public const string NginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

    private static readonly Lazy<string?> NginxFound = new(() => Find("nginx"));
    private static readonly Lazy<string?> HaproxyFound = new(() => Find("haproxy"));

    public static string? Nginx => NginxFound.Value;

    public static string? Haproxy => HaproxyFound.Value;

    /// <summary>Why the nginx tests cannot run here, or null when they can.</summary>
    public static string? NginxSkipReason =>
        Nginx is null ? "nginx not installed (neither /usr/sbin/nginx nor nginx on PATH; Debian package nginx)"
        : !File.Exists(NginxStreamModule) ? $"nginx stream module not installed ({NginxStreamModule}; Debian package libnginx-mod-stream)"
        : null;

    public static string? HaproxySkipReason =>
        Haproxy is null ? "haproxy not installed (neither /usr/sbin/haproxy nor haproxy on PATH; Debian package haproxy)" : null;

    private static string? Find(string name)
    {
        var sbin = Path.Combine("/usr/sbin", name);
        if (File.Exists(sbin))
        {
            return sbin;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}
