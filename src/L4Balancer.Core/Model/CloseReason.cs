namespace L4Balancer.Core.Model;

/// <summary>How a connection ended: SPEC "Logs" lists the outcomes, SPEC "Metrics" the rejection reasons.</summary>
internal enum CloseReason
{
    None = 0,
    Closed,
    ClientReset,
    BackendReset,
    IdleTimeout,
    Drained,

    // Rejections: the connection never reached a backend.
    IpDenied,
    GlobalLimit,
    PerIpLimit,
    NotTls,
    HelloTimeout,
    UnknownSni,
    TenantLimit,
    RateLimited,
    NoBackend,

    /// <summary>accept_proxy listeners: a peer not in trusted_proxies, or a PROXY header missing, malformed, truncated or late.</summary>
    ProxyHeader,

    /// <summary>Waited <c>queue_timeout</c> for a backend slot with every backend up at its <c>max_connections</c>.</summary>
    QueueTimeout,
}
