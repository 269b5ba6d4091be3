namespace L4Balancer.Core.Limits;

/// <summary>
/// This instance's part of a tenant's fleet-wide <c>max_connections</c> and <c>connection_rate</c>, as
/// the cluster member last set it, read by <see cref="Admission"/> without waiting on anything: the data
/// path never talks to Redis. It also counts the demand the member reports at its next sync (connections
/// refused for the limit, rate checks made).
/// </summary>
/// <remarks>
/// The member writes the mode, cap and rate share together under a lock and publishes them as one
/// immutable <see cref="State"/>, so admission never sees a cap from one sync with the mode of another.
/// </remarks>
internal sealed class FleetShare
{
    private State _state = State.Local;
    private int _refused;
    private long _rateChecks;

    public FleetShareMode Mode => Volatile.Read(ref _state).Mode;

    /// <summary>Connections this instance may hold (lease or local share); -1 when not enforced.</summary>
    public int ConnectionCap => Volatile.Read(ref _state).Cap;

    /// <summary>Tokens per second this instance may admit; -1 when not enforced.</summary>
    public double RateShare => Volatile.Read(ref _state).Rate;

    /// <summary>Live instances the member saw at its last successful sync (the local share's divisor).</summary>
    public int LiveInstances => Volatile.Read(ref _state).Instances;

    /// <summary>
    /// The connection limit admission applies: <paramref name="configured"/> as is when the tenant's limit
    /// is its own; otherwise the fleet share, where -1 means not enforced and 0 means admit nothing.
    /// </summary>
    public int ConnectionLimit(int configured)
    {
        var state = Volatile.Read(ref _state);
        if (configured <= 0 || state.Mode == FleetShareMode.Local)
        {
            return configured;
        }

        return state.Mode switch
        {
            FleetShareMode.Open => -1,
            FleetShareMode.Closed => 0,
            FleetShareMode.LocalShare => DivideUp(configured, state.Instances),
            _ => Math.Min(state.Cap, configured),
        };
    }

    /// <summary>Like <see cref="ConnectionLimit"/> for <c>connection_rate</c> in tokens per second.</summary>
    public double RateLimit(int configured)
    {
        var state = Volatile.Read(ref _state);
        if (configured <= 0 || state.Mode == FleetShareMode.Local)
        {
            return configured;
        }

        return state.Mode switch
        {
            FleetShareMode.Open => -1,
            FleetShareMode.Closed => 0,
            FleetShareMode.LocalShare => (double)configured / Math.Max(1, state.Instances),
            _ => Math.Min(state.Rate, configured),
        };
    }

    /// <summary>
    /// What this instance admits now for a tenant's configured limits, for the status and the metrics:
    /// connections and new connections per second, null where the limit is not set or not enforced.
    /// </summary>
    public (int? Connections, double? Rate) InForce(int maxConnections, int connectionRate)
    {
        var cap = maxConnections > 0 ? ConnectionLimit(maxConnections) : -1;
        var rate = connectionRate > 0 ? RateLimit(connectionRate) : -1;
        return (cap >= 0 ? cap : null, rate >= 0 ? rate : null);
    }

    public void NoteRefused()
    {
        if (Volatile.Read(ref _state).Mode != FleetShareMode.Local)
        {
            Interlocked.Increment(ref _refused);
        }
    }

    public void NoteRateCheck()
    {
        if (Volatile.Read(ref _state).Mode != FleetShareMode.Local)
        {
            Interlocked.Increment(ref _rateChecks);
        }
    }

    /// <summary>The demand since the last call (the member's sync): refusals for the limit and rate checks.</summary>
    public (int Refused, long RateChecks) TakeDemand() =>
        (Interlocked.Exchange(ref _refused, 0), Interlocked.Exchange(ref _rateChecks, 0));

    /// <summary>A lease from Redis: at most <paramref name="cap"/> connections and <paramref name="rate"/> tokens per second here.</summary>
    public void SetLease(int cap, double rate, int instances) =>
        Volatile.Write(ref _state, new State(FleetShareMode.Lease, cap, rate, Math.Max(1, instances)));

    /// <summary>No lease in force (expired without Redis, or none yet): the fallback policy's mode, local shares dividing by <paramref name="instances"/>.</summary>
    public void SetFallback(FleetShareMode mode, int instances) =>
        Volatile.Write(ref _state, new State(mode, -1, -1, Math.Max(1, instances)));

    /// <summary>The tenant is no longer fleet-limited (no <c>[cluster]</c>).</summary>
    public void SetLocal() => Volatile.Write(ref _state, State.Local);

    private static int DivideUp(int limit, int instances) => (limit + Math.Max(1, instances) - 1) / Math.Max(1, instances);

    private sealed record State(FleetShareMode Mode, int Cap, double Rate, int Instances)
    {
        public static readonly State Local = new(FleetShareMode.Local, -1, -1, 1);
    }
}
