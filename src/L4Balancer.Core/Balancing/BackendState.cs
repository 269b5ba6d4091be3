using System.Net;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Balancing;

/// <summary>
/// Runtime state of one backend, keyed by (tenant, address) so that counters and health survive a
/// reload that keeps the backend. Config (weight, limits, resolved endpoint) is swapped on reload.
/// </summary>
internal sealed class BackendState
{
    private BackendConfig _config;
    private IPEndPoint _endPoint;
    private int _active;
    private long _total;
    private long _connectFailures;
    private int _consecutiveFailures;
    private volatile bool _up = true;
    private volatile bool _draining;

    public BackendState(string tenant, BackendConfig config)
    {
        Tenant = tenant;
        _config = config;
        _endPoint = ConnectableEndPoint(config.EndPoint);
    }

    public string Tenant { get; }

    public string Address => _config.Address;

    public BackendConfig Config => Volatile.Read(ref _config);

    /// <summary>Where to connect: the configured endpoint, with an IPv4-mapped IPv6 address turned into IPv4.</summary>
    public IPEndPoint EndPoint => Volatile.Read(ref _endPoint);

    public int Weight => Config.Weight;

    public int ActiveConnections => Volatile.Read(ref _active);

    public long TotalConnections => Interlocked.Read(ref _total);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    public bool IsUp => _up;

    /// <summary>Draining: no new connections, existing ones continue (admin drain, or removed from config).</summary>
    public bool IsDraining => _draining;

    /// <summary>A cheap pre-check for pickers; <see cref="TryAcquire"/> is the race-free gate.</summary>
    public bool IsAvailable
    {
        get
        {
            var max = Config.MaxConnections;
            return _up && !_draining && (max == 0 || Volatile.Read(ref _active) < max);
        }
    }

    public void UpdateConfig(BackendConfig config)
    {
        Volatile.Write(ref _endPoint, ConnectableEndPoint(config.EndPoint));
        Volatile.Write(ref _config, config);
    }

    /// <summary>
    /// "[::ffff:10.0.0.1]:443" is a valid way to write an IPv4 backend, but an IPv6 socket that is not
    /// dual-mode cannot connect to it (NetworkUnreachable): connect to the IPv4 address instead.
    /// </summary>
    private static IPEndPoint ConnectableEndPoint(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    public void SetDraining(bool draining) => _draining = draining;

    public void SetUp(bool up) => _up = up;

    /// <summary>
    /// Takes a connection slot unless the backend is at its <c>max_connections</c>. A CAS loop, not
    /// check-then-increment, so a burst of simultaneous picks can never overshoot the limit.
    /// </summary>
    public bool TryAcquire()
    {
        var max = Config.MaxConnections;
        while (true)
        {
            var current = Volatile.Read(ref _active);
            if (max != 0 && current >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _active, current + 1, current) == current)
            {
                Interlocked.Increment(ref _total);
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _active);

    /// <summary>Records a failed connect of real traffic; returns the consecutive failure count.</summary>
    public int RecordConnectFailure()
    {
        Interlocked.Increment(ref _connectFailures);
        return Interlocked.Increment(ref _consecutiveFailures);
    }

    public void RecordConnectSuccess() => Volatile.Write(ref _consecutiveFailures, 0);
}
