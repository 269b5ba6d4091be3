namespace L4Balancer.Core.Config;

/// <summary><c>[tenant.health] type</c>: how deep an active check goes (HAProxy: plain <c>check</c>, <c>check-ssl</c>, <c>option httpchk</c>).</summary>
internal enum HealthCheckType
{
    /// <summary>A TCP connect (layer 4).</summary>
    Tcp,

    /// <summary>A TCP connect and a completed TLS handshake (layer 6).</summary>
    Tls,

    /// <summary>An HTTP <c>GET</c> whose status is in <c>expect_status</c> (layer 7), over TLS with <c>tls = true</c>.</summary>
    Http,
}
