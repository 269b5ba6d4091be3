using L4Balancer.Core.Net;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[global]</c> table. Defaults are the values SPEC's example shows.</summary>
internal sealed record GlobalConfig
{
    /// <summary>Concurrent connections for the whole process; 0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary>Concurrent connections per source IP across all tenants; 0 = unlimited.</summary>
    public int MaxConnectionsPerIp { get; init; }

    /// <summary>
    /// Connections on sni listeners still waiting for their ClientHello, in total (an extension key,
    /// <c>max_pending_handshakes</c>); 0 = unlimited. Never a refusal: when full, a newcomer evicts the least
    /// advanced of the oldest (see <see cref="Limits.PendingHandshakeSet"/>), which ends as <c>hello_timeout</c>.
    /// </summary>
    public int MaxPendingHandshakes { get; init; } = 4096;

    /// <summary>The same per source IP (<c>max_pending_handshakes_per_ip</c>); 0 = unlimited. Refusals count as <c>per_ip_limit</c>.</summary>
    public int MaxPendingHandshakesPerIp { get; init; } = 64;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan ClientHelloTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a binary upgrade (SIGUSR2) waits for the new process to be ready (<c>upgrade_timeout</c>);
    /// past it the new process is killed and the running one carries on. The running config's value applies.
    /// </summary>
    public TimeSpan UpgradeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Listen backlog for every listener (an extension key, <c>backlog</c>; nginx's default).</summary>
    public int Backlog { get; init; } = 511;

    /// <summary>
    /// One access-log record per finished connection (an extension key, <c>access_log</c>; SPEC's
    /// behaviour is the default). Off, as HAProxy's <c>option dontlog-normal</c> or nginx's
    /// <c>access_log off</c>, it saves a console write and a logger thread wake-up per connection:
    /// 3–13 % of the CPU per connection under a connection-per-request load (bench/README.md).
    /// </summary>
    public bool AccessLog { get; init; } = true;

    /// <summary>
    /// The least severe level logged (<c>log_level</c>, issue 17), for every category: as
    /// <c>Logging:LogLevel:Default</c> in ASP.NET, and the environment's <c>Logging__LogLevel__*</c>
    /// variables win over it, as they win over appsettings.json there. Applied again at each reload.
    /// </summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Which transport moves the bytes (<c>transport</c>); read at start, a reload does not switch it.</summary>
    public TransportKind Transport { get; init; } = TransportKind.Auto;

    /// <summary>Event-loop threads of the epoll transport (<c>threads</c>); 0 = one per core.</summary>
    public int Threads { get; init; }

    public IReadOnlyList<IpPrefix> Deny { get; init; } = [];

    /// <summary>
    /// How often a backend host name that did not resolve is looked up again (<c>resolve_interval</c>, issue 17);
    /// such a backend is also looked up in every round of its tenant's health checks.
    /// </summary>
    public TimeSpan ResolveInterval { get; init; } = TimeSpan.FromSeconds(30);
}
