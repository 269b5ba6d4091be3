using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Model;

namespace L4Balancer.Core.Limits;

/// <summary>
/// The limit slots one session holds, in SPEC's order of checks: process and per-IP concurrency at
/// accept, a pending-handshake slot while an sni listener waits for the ClientHello, then the
/// tenant's <c>max_connections</c> and <c>connection_rate</c>. Each step returns
/// <see cref="CloseReason.None"/> or the SPEC rejection reason. Every slot taken is given back
/// exactly once by <see cref="ReleaseAll"/> (the session calls it when it finishes, however it ended);
/// all calls come from the session's own flow, one at a time, so plain flags suffice.
/// </summary>
internal sealed class Admission
{
    /// <summary>Tokens a fleet member's share of <c>connection_rate</c> holds at least (see <see cref="EnterTenant"/>).</summary>
    public const double MinFleetBurst = 2;

    private readonly GlobalLimitState _global;
    private UInt128 _source;
    private bool _hasSource;
    private bool _connection;
    private bool _connectionPerIp;
    private LinkedListNode<IPendingHandshake>? _handshake;
    private bool _handshakePerIp;
    private TenantLimitState? _tenant;

    public Admission(GlobalLimitState global, IPAddress? source)
    {
        _global = global;
        _hasSource = source is not null;
        _source = source is null ? default : PerIpGate.KeyOf(source);
    }

    /// <summary>
    /// The client's address once it is known: on an <c>accept_proxy</c> listener the flow is created
    /// without one (the peer is the proxy, whose address no per-IP limit counts) and learns it from the
    /// PROXY header, between a first <see cref="EnterProcess"/> (the process-wide slot alone: the
    /// connection holds a socket while its header arrives) and a second (the client's per-IP slot).
    /// </summary>
    public void SetSource(IPAddress? source)
    {
        if (_connectionPerIp || _handshake is not null)
        {
            throw new InvalidOperationException("the source address cannot change once a per-address slot is held");
        }

        _hasSource = source is not null;
        _source = source is null ? default : PerIpGate.KeyOf(source);
    }

    /// <summary>
    /// <c>max_connections_per_ip</c>, then <c>max_connections</c>. The per-address check goes first so
    /// that when both are exceeded the flooding address is told <c>per_ip_limit</c>. Each slot is taken
    /// once: a second call (after <see cref="SetSource"/>) takes only what is still missing.
    /// </summary>
    public CloseReason EnterProcess(GlobalConfig config)
    {
        if (_hasSource && !_connectionPerIp)
        {
            if (!_global.ConnectionsPerIp.TryAcquire(_source, config.MaxConnectionsPerIp))
            {
                return CloseReason.PerIpLimit;
            }

            _connectionPerIp = true;
        }

        if (_connection)
        {
            return CloseReason.None;
        }

        if (!_global.Connections.TryAcquire(_global.Descriptors.Limit(config.MaxConnections)))
        {
            return CloseReason.GlobalLimit;
        }

        _connection = true;
        return CloseReason.None;
    }

    /// <summary>
    /// A pending-handshake slot (sni listeners, until the ClientHello is in): per address, refused as
    /// <c>per_ip_limit</c>; in total, never refused: a full set evicts its least advanced old member
    /// (<see cref="PendingHandshakeSet"/>) through <paramref name="connection"/>'s <see cref="IPendingHandshake.Evict"/>.
    /// </summary>
    public CloseReason EnterHandshake(GlobalConfig config, IPendingHandshake connection)
    {
        if (_hasSource)
        {
            if (!_global.PendingHandshakesPerIp.TryAcquire(_source, config.MaxPendingHandshakesPerIp))
            {
                return CloseReason.PerIpLimit;
            }

            _handshakePerIp = true;
        }

        _handshake = _global.PendingHandshakes.Enter(connection, config.MaxPendingHandshakes);
        return CloseReason.None;
    }

    /// <summary>The ClientHello is in (or the peek failed): the connection no longer counts as pending.</summary>
    public void LeaveHandshake()
    {
        if (_handshake is { } node)
        {
            _handshake = null;
            _global.PendingHandshakes.Leave(node);
        }

        if (_handshakePerIp)
        {
            _handshakePerIp = false;
            _global.PendingHandshakesPerIp.Release(_source);
        }
    }

    /// <summary>
    /// The tenant's <c>max_connections</c> (<c>tenant_limit</c>), then its <c>connection_rate</c>
    /// (<c>rate_limited</c>). A connection refused for concurrency takes no token from the bucket. With
    /// <c>[cluster]</c> both limits are fleet-wide and this instance enforces its <see cref="FleetShare"/>
    /// of them, read from memory: no connection waits on Redis.
    /// </summary>
    public CloseReason EnterTenant(TenantConfig config, TenantLimitState limits, TimeProvider time)
    {
        var fleet = limits.Fleet;
        var limit = config.MaxConnections;
        if (limit > 0 && fleet.Mode != FleetShareMode.Local)
        {
            limit = fleet.ConnectionLimit(limit);
            if (limit == 0)
            {
                fleet.NoteRefused();
                return CloseReason.TenantLimit;
            }

            limit = Math.Max(limit, 0); // -1, not enforced: counted as unlimited
        }

        if (!limits.Connections.TryAcquire(limit))
        {
            fleet.NoteRefused();
            return CloseReason.TenantLimit;
        }

        _tenant = limits;
        if (config.ConnectionRate > 0)
        {
            // connection_burst defaults to connection_rate (the loader fills it in; a config built in code may not).
            var burst = config.ConnectionBurst > 0 ? config.ConnectionBurst : config.ConnectionRate;
            TokenBucketRate rate;
            if (fleet.Mode == FleetShareMode.Local)
            {
                rate = TokenBucketRate.ForTokens(config.ConnectionRate, burst, time.TimestampFrequency);
            }
            else
            {
                fleet.NoteRateCheck();
                var share = fleet.RateLimit(config.ConnectionRate);
                if (share < 0)
                {
                    return CloseReason.None; // not enforced (on_redis_down = "open")
                }

                if (share == 0)
                {
                    return CloseReason.RateLimited;
                }

                // The burst shrinks with the share, so the fleet's burst is the configured one, but never
                // below two tokens: a one-token bucket under a steady load loses the credit of every arrival
                // that misses its tick (measured: 165 admitted of 200 at 3 × a 20/s rate split three ways).
                rate = TokenBucketRate.ForFractionalTokens(share, Math.Max(MinFleetBurst, burst * share / config.ConnectionRate), time.TimestampFrequency);
            }

            if (!limits.ConnectionRate.TryTake(rate, time))
            {
                return CloseReason.RateLimited;
            }
        }

        return CloseReason.None;
    }

    /// <summary>Gives back every slot still held. Safe to call more than once.</summary>
    public void ReleaseAll()
    {
        LeaveHandshake();
        if (_tenant is { } tenant)
        {
            _tenant = null;
            tenant.Connections.Release();
        }

        if (_connection)
        {
            _connection = false;
            _global.Connections.Release();
        }

        if (_connectionPerIp)
        {
            _connectionPerIp = false;
            _global.ConnectionsPerIp.Release(_source);
        }
    }
}
