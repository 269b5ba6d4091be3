namespace L4Balancer.Core.Balancing;

/// <summary>
/// Why a backend's last check ended as it did, with HAProxy's names (its stats page's <c>check_status</c>)
/// so operators who know one know the other. The layer says how far the check got: 4 the TCP connect,
/// 6 the TLS handshake, 7 the HTTP response.
/// </summary>
internal enum CheckStatus
{
    /// <summary>The TCP connect completed (<c>type = "tcp"</c>).</summary>
    L4OK,

    /// <summary>No connect within the timeout.</summary>
    L4TOUT,

    /// <summary>The connect failed: refused, unreachable, reset (also what the passive check reports).</summary>
    L4CON,

    /// <summary>The TLS handshake completed (<c>type = "tls"</c>).</summary>
    L6OK,

    /// <summary>No completed handshake within the timeout.</summary>
    L6TOUT,

    /// <summary>The handshake failed: not TLS, an alert, a certificate the <c>ca</c> does not vouch for, a close.</summary>
    L6RSP,

    /// <summary>The HTTP status was one <c>expect_status</c> accepts.</summary>
    L7OK,

    /// <summary>No status line within the timeout.</summary>
    L7TOUT,

    /// <summary>No valid status line: the connection closed or was reset first, or the answer is not HTTP.</summary>
    L7RSP,

    /// <summary>A status <c>expect_status</c> does not accept.</summary>
    L7STS,

    /// <summary>The backend's host name does not resolve (issue 17, item 6).</summary>
    DNS,
}
