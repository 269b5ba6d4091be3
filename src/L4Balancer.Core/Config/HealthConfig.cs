namespace L4Balancer.Core.Config;

/// <summary>The <c>[tenant.health]</c> table: TCP, TLS or HTTP checks (issue 17).</summary>
internal sealed record HealthConfig
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>For the whole check: connect, TLS handshake and HTTP response together.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    public int Rise { get; init; } = 2;
    public int Fall { get; init; } = 3;

    public HealthCheckType Type { get; init; } = HealthCheckType.Tcp;

    /// <summary><c>type = "http"</c>: over TLS.</summary>
    public bool Tls { get; init; }

    /// <summary>The server name sent in the check's ClientHello (default: the tenant's first exact <c>sni</c> name); null = none.</summary>
    public string? Sni { get; init; }

    /// <summary>Verify the backend's certificate against these (and the name against <see cref="Sni"/>); null = no verification.</summary>
    public TrustedCertificates? Ca { get; init; }

    /// <summary><c>type = "http"</c>: the request target.</summary>
    public string Path { get; init; } = "/";

    /// <summary><c>type = "http"</c>: the <c>Host</c> header; null = the SNI name, else the backend's address as written.</summary>
    public string? Host { get; init; }

    /// <summary><c>type = "http"</c>: statuses that pass.</summary>
    public HttpStatusRanges ExpectStatus { get; init; } = HttpStatusRanges.Default;

    /// <summary>The check speaks TLS: <c>type = "tls"</c>, or <c>"http"</c> with <c>tls = true</c>.</summary>
    public bool UsesTls => Type == HealthCheckType.Tls || (Type == HealthCheckType.Http && Tls);
}
