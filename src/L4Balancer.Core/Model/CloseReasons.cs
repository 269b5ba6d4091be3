namespace L4Balancer.Core.Model;

internal static class CloseReasons
{
    /// <summary>The first rejection reason; everything from here on means "never reached a backend".</summary>
    public const CloseReason FirstRejection = CloseReason.IpDenied;

    public static readonly CloseReason[] Rejections =
    [
        CloseReason.IpDenied, CloseReason.GlobalLimit, CloseReason.PerIpLimit, CloseReason.NotTls,
        CloseReason.HelloTimeout, CloseReason.UnknownSni, CloseReason.TenantLimit, CloseReason.RateLimited,
        CloseReason.NoBackend, CloseReason.ProxyHeader, CloseReason.QueueTimeout,
    ];

    public static bool IsRejection(this CloseReason reason) => reason >= FirstRejection;

    /// <summary>The names SPEC uses in logs and metric labels.</summary>
    public static string ToWireName(this CloseReason reason) => reason switch
    {
        CloseReason.None => "none",
        CloseReason.Closed => "closed",
        CloseReason.ClientReset => "client_reset",
        CloseReason.BackendReset => "backend_reset",
        CloseReason.IdleTimeout => "idle_timeout",
        CloseReason.Drained => "drained",
        CloseReason.IpDenied => "ip_denied",
        CloseReason.GlobalLimit => "global_limit",
        CloseReason.PerIpLimit => "per_ip_limit",
        CloseReason.NotTls => "not_tls",
        CloseReason.HelloTimeout => "hello_timeout",
        CloseReason.UnknownSni => "unknown_sni",
        CloseReason.TenantLimit => "tenant_limit",
        CloseReason.RateLimited => "rate_limited",
        CloseReason.NoBackend => "no_backend",
        CloseReason.ProxyHeader => "proxy_header",
        CloseReason.QueueTimeout => "queue_timeout",
        _ => reason.ToString(),
    };
}
