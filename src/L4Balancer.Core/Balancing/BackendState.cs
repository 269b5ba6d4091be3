using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Telemetry;

namespace L4Balancer.Core.Balancing;

/// <summary>
/// Runtime state of one backend, keyed by (tenant, address) so that counters, health and an admin's
/// drain survive a reload that keeps the backend. Config (weight, limits, resolved endpoint) is
/// swapped on reload.
/// </summary>
internal sealed class BackendState
{
    // Why a backend takes no new connections, as bits of one int: pickers test availability with a
    // single read, and each bit is changed by a CAS so exactly one caller sees (and logs) a transition.
    private const int DownFlag = 1;
    private const int DrainingFlag = 2;
    private const int RemovedFlag = 4;

    // Issue 16: an agent's drain/maint and down/fail/stopped, kept apart from the operator's drain and the
    // health checks' down so each can be undone by whoever set it (either one keeps the backend out).
    private const int AgentDrainFlag = 8;
    private const int AgentDownFlag = 16;

    // Issue 17: the host name did not resolve; apart from the checks' down, so a lookup that answers undoes only this.
    private const int UnresolvedFlag = 32;

    /// <summary>The flags that make the status say "down" (as opposed to draining): a change of these is a <see cref="LastChange"/>.</summary>
    private const int DownMask = DownFlag | AgentDownFlag | UnresolvedFlag;

    /// <summary>HAProxy's largest server weight (SRV_UWGHT_MAX), the cap of an agent-scaled weight.</summary>
    private const int MaxAgentWeight = 256;

    /// <summary>HAProxy clamps a relative weight at 25600 % before scaling (its overflow guard).</summary>
    public const int MaxAgentPercent = 25600;

    private BackendConfig _config;
    private IPEndPoint _endPoint;
    private int _flags;
    private int _active;
    private long _total;
    private long _connectFailures;
    private int _consecutiveFailures;
    private int _checkSuccesses;
    private int _checkFailures;
    private long _checks;
    private IPassiveHealth? _passive;
    private BackendReport? _report;
    private int _agentWeightPercent = -1;
    private int _agentMaxConnections = -1;
    private readonly TimeProvider _time;
    private CheckResult? _lastCheck;
    private long _lastChangeTicks;
    private int _weightOverride = -1;

    /// <param name="time">Stamps <see cref="LastChange"/>.</param>
    public BackendState(string tenant, BackendConfig config, TimeProvider? time = null)
    {
        Tenant = tenant;
        _config = config;
        _time = time ?? TimeProvider.System;
        _lastChangeTicks = _time.GetUtcNow().UtcTicks;
        if (config.EndPoint is { } endPoint)
        {
            _endPoint = ConnectableEndPoint(endPoint);
        }
        else
        {
            // Never connected to: the unresolved flag keeps every picker and check away until a lookup answers.
            _endPoint = new IPEndPoint(IPAddress.None, config.Port);
            _flags = UnresolvedFlag;
            _lastCheck = Unresolved(config);
        }
    }

    public string Tenant { get; }

    public string Address => _config.Address;

    public BackendConfig Config => Volatile.Read(ref _config);

    /// <summary>
    /// Where to connect: the configured endpoint, with an IPv4-mapped IPv6 address turned into IPv4. Meaningless
    /// while <see cref="IsResolved"/> is false (the backend is then never picked nor checked).
    /// </summary>
    public IPEndPoint EndPoint => Volatile.Read(ref _endPoint);

    /// <summary>False while the backend's host name does not resolve (issue 17): it is down with check status DNS.</summary>
    public bool IsResolved => (Volatile.Read(ref _flags) & UnresolvedFlag) == 0;

    /// <summary>The last check's outcome (an active check, the passive check's mark-down, or DNS); null before any.</summary>
    public CheckResult? LastCheck => Volatile.Read(ref _lastCheck);

    /// <summary>When the backend last went up or down, by whatever cause (HAProxy's <c>lastchg</c>); its creation before that.</summary>
    public DateTimeOffset LastChange => new(Interlocked.Read(ref _lastChangeTicks), TimeSpan.Zero);

    /// <summary>The configured weight (the status shows it beside <see cref="EffectiveWeight"/>).</summary>
    public int Weight => Config.Weight;

    /// <summary>The weight an operator set through the admin API (issue 17); null when the configured one applies.</summary>
    public int? WeightOverride => Volatile.Read(ref _weightOverride) is >= 0 and var w ? w : null;

    /// <summary>The operator's weight if set, else the configured one: what an agent's weight% scales.</summary>
    public int BaseWeight => Volatile.Read(ref _weightOverride) is >= 0 and var w ? w : Weight;

    /// <summary>
    /// The weight the pickers use: the configured one (or the operator's, <see cref="BaseWeight"/>), scaled by a fresh agent report's percentage the way
    /// HAProxy scales a server's initial weight (capped at 256, HAProxy's largest weight, or the configured
    /// weight if that is larger). Rounded to the nearest, and never below 1 unless the agent said 0%:
    /// HAProxy truncates, so "50%" on its default weight 1 reads as 0, a drain the agent never asked for.
    /// 0 takes the backend out of rotation, as HAProxy's stats page calls it: DRAIN.
    /// </summary>
    public int EffectiveWeight
    {
        get
        {
            var weight = BaseWeight;
            var percent = Volatile.Read(ref _agentWeightPercent);
            if (percent < 0)
            {
                return weight;
            }

            if (percent == 0 || weight == 0)
            {
                return 0; // the operator's weight 0 stays 0 whatever the agent says: scaling 0 must not round up to 1
            }

            var scaled = ((long)weight * percent + 50) / 100;
            return (int)Math.Clamp(scaled, 1, Math.Max(MaxAgentWeight, weight));
        }
    }

    /// <summary>
    /// The connection cap the gate uses: the configured <c>max_connections</c>, lowered by a fresh agent
    /// <c>maxconn:N</c> (0 on either side = no limit from that side). Unlike HAProxy, which lets the agent
    /// raise a server's maxconn, the agent only lowers it: the config is the operator's ceiling.
    /// </summary>
    public int EffectiveMaxConnections
    {
        get
        {
            var configured = Config.MaxConnections;
            var agent = Volatile.Read(ref _agentMaxConnections);
            return agent <= 0 ? configured : configured == 0 ? agent : Math.Min(configured, agent);
        }
    }

    /// <summary>The agent's weight percentage in force (a fresh report said it); null when none applies.</summary>
    public int? AgentWeightPercent => Volatile.Read(ref _agentWeightPercent) is >= 0 and var p ? p : null;

    /// <summary>The agent's <c>maxconn</c> in force (a fresh report said it); null when none applies.</summary>
    public int? AgentMaxConnections => Volatile.Read(ref _agentMaxConnections) is >= 0 and var m ? m : null;

    public int ActiveConnections => Volatile.Read(ref _active);

    public long TotalConnections => Interlocked.Read(ref _total);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>Connections and bytes relayed through this backend, for its metrics.</summary>
    public BackendCounters Counters { get; } = new();

    /// <summary>Consecutive failed connects of client connections (reset by a successful one): the passive check.</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>Consecutive passed active checks (reset by a failed one).</summary>
    public int ConsecutiveCheckSuccesses => Volatile.Read(ref _checkSuccesses);

    /// <summary>Consecutive failed active checks (reset by a passed one).</summary>
    public int ConsecutiveCheckFailures => Volatile.Read(ref _checkFailures);

    /// <summary>Active checks completed, passed or failed.</summary>
    public long HealthChecks => Interlocked.Read(ref _checks);

    /// <summary>Healthy as far as the active and passive checks know; a new backend starts up.</summary>
    public bool IsUp => (Volatile.Read(ref _flags) & DownFlag) == 0;

    /// <summary>Draining by an operator: no new connections, existing ones continue. Survives reloads.</summary>
    public bool IsDraining => (Volatile.Read(ref _flags) & DrainingFlag) != 0;

    /// <summary>
    /// No longer in the config but still has open connections: it drains like a drained backend (no
    /// new connections, existing ones continue) and is forgotten at a reload that finds it idle.
    /// </summary>
    public bool IsRemoved => (Volatile.Read(ref _flags) & RemovedFlag) != 0;

    /// <summary>Draining because its agent said <c>drain</c> or <c>maint</c> (apart from <see cref="IsDraining"/>, the operator's).</summary>
    public bool IsAgentDraining => (Volatile.Read(ref _flags) & AgentDrainFlag) != 0;

    /// <summary>Out because its agent said <c>down</c>, <c>fail</c> or <c>stopped</c> (apart from <see cref="IsUp"/>, the checks').</summary>
    public bool IsAgentDown => (Volatile.Read(ref _flags) & AgentDownFlag) != 0;

    /// <summary>The backend's last load report (issue 16); null before the first.</summary>
    public BackendReport? Report => Volatile.Read(ref _report);

    public void SetReport(BackendReport? report) => Volatile.Write(ref _report, report);

    /// <summary>
    /// The agent's weight percentage and maxconn to apply (null = none); the feedback collector sets them
    /// from each fresh report and clears them when the report goes stale.
    /// </summary>
    public void SetAgentLimits(int? weightPercent, int? maxConnections)
    {
        Volatile.Write(ref _agentWeightPercent, weightPercent is { } p ? Math.Clamp(p, 0, MaxAgentPercent) : -1);
        Volatile.Write(ref _agentMaxConnections, maxConnections is { } m ? Math.Max(0, m) : -1);
    }

    /// <summary>The agent's drain (drain/maint) on or off; true if that changed anything.</summary>
    public bool SetAgentDraining(bool draining) => ChangeFlag(AgentDrainFlag, draining);

    /// <summary>The agent's down (down/fail/stopped) on or off; true if that changed anything.</summary>
    public bool SetAgentDown(bool down) => ChangeFlag(AgentDownFlag, down);

    /// <summary>A cheap pre-check for pickers; <see cref="TryAcquire"/> is the race-free gate.</summary>
    public bool IsAvailable => InRotation && !AtMaxConnections;

    /// <summary>
    /// Up, in rotation and with weight, but at its <c>max_connections</c>: a connection may wait for this
    /// backend (tenant <c>queue_timeout</c>), where one that is down, draining or weighted 0 has nothing to wait for.
    /// </summary>
    public bool IsAtCapacity => InRotation && AtMaxConnections;

    /// <summary>Neither down nor draining by anyone, and with a weight above 0.</summary>
    private bool InRotation => Volatile.Read(ref _flags) == 0 && EffectiveWeight > 0;

    /// <summary>At its effective <c>max_connections</c> (never, without one).</summary>
    private bool AtMaxConnections => EffectiveMaxConnections is var max && max != 0 && Volatile.Read(ref _active) >= max;

    /// <summary>
    /// Takes a reload's config for this backend. A host name that no longer resolves takes it down with DNS
    /// (its last address is kept but not used); one that resolves again brings it back as a lookup does.
    /// </summary>
    /// <returns>
    /// The operator's weight it cleared, or null: a weight set through the admin API holds until a reload
    /// changes this backend's configured weight, which is the newer word on it (HAProxy's <c>set weight</c>
    /// lasts until its next reload; here a reload that leaves the weight alone keeps it).
    /// </returns>
    public int? UpdateConfig(BackendConfig config)
    {
        var previous = Volatile.Read(ref _config);
        int? cleared = null;
        if (config.Weight != previous.Weight && Interlocked.Exchange(ref _weightOverride, -1) is >= 0 and var w)
        {
            cleared = w;
        }

        if (config.EndPoint is { } endPoint)
        {
            Volatile.Write(ref _config, config);
            SetResolved(endPoint);
        }
        else
        {
            // The flag first: a picker that reads the new config must already find the backend out.
            Volatile.Write(ref _lastCheck, Unresolved(config));
            ChangeFlag(UnresolvedFlag, true);
            Volatile.Write(ref _config, config);
        }

        return cleared;
    }

    /// <summary>
    /// The operator's weight (0 takes the backend out of rotation, as HAProxy's <c>set weight 0</c>); the
    /// configured weight itself clears the override, so setting it back leaves nothing to remember.
    /// </summary>
    /// <returns>The weight the pickers used before (<see cref="BaseWeight"/>, before an agent's share).</returns>
    public int SetWeightOverride(int weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        var previous = BaseWeight;
        Volatile.Write(ref _weightOverride, weight == Weight ? -1 : weight);
        return previous;
    }

    /// <summary>
    /// A lookup answered: connect to <paramref name="endPoint"/> from now on. True if that brought the
    /// backend back from DNS; it is then up at once (HAProxy: "start OK but check immediately"), and its
    /// tenant's checks, if any, take it down again if it does not answer.
    /// </summary>
    public bool SetResolved(IPEndPoint endPoint)
    {
        // The address first: whoever sees the flag cleared must connect to the new address.
        Volatile.Write(ref _endPoint, ConnectableEndPoint(endPoint));
        if (!ChangeFlag(UnresolvedFlag, false))
        {
            return false;
        }

        if (LastCheck is { Status: CheckStatus.DNS } dns)
        {
            Interlocked.CompareExchange(ref _lastCheck, null, dns);
        }

        return true;
    }

    /// <summary>A lookup of the host name failed again: keeps the reason current for the status.</summary>
    public void SetUnresolvedReason(string error)
    {
        if (!IsResolved)
        {
            Volatile.Write(ref _lastCheck, new CheckResult(CheckStatus.DNS, $"{Config.Host} does not resolve: {error}"));
        }
    }

    private static CheckResult Unresolved(BackendConfig config) =>
        new(CheckStatus.DNS, $"{config.Host} does not resolve: {config.ResolveError ?? "no address"}");

    /// <summary>
    /// "[::ffff:10.0.0.1]:443" is a valid way to write an IPv4 backend, but an IPv6 socket that is not
    /// dual-mode cannot connect to it (NetworkUnreachable): connect to the IPv4 address instead.
    /// </summary>
    private static IPEndPoint ConnectableEndPoint(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    /// <summary>Puts the backend into draining or back into rotation; true if that changed anything.</summary>
    public bool SetDraining(bool draining) => ChangeFlag(DrainingFlag, draining);

    /// <summary>Marks the backend up or down; true if that changed anything. The health checks' one way to move it.</summary>
    public bool SetUp(bool up)
    {
        if (!ChangeFlag(DownFlag, !up))
        {
            return false;
        }

        if (up)
        {
            // A fresh start for the passive check: failures from before the outage do not count.
            Volatile.Write(ref _consecutiveFailures, 0);
        }
        else
        {
            // Coming back takes `rise` passes counted from now, not passes from before the outage
            // (a passive mark-down can happen while active checks still pass).
            Volatile.Write(ref _checkSuccesses, 0);
        }

        return true;
    }

    internal void SetRemoved(bool removed) => ChangeFlag(RemovedFlag, removed);

    private bool ChangeFlag(int flag, bool set)
    {
        while (true)
        {
            var current = Volatile.Read(ref _flags);
            var next = set ? current | flag : current & ~flag;
            if (next == current)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _flags, next, current) == current)
            {
                if ((current & DownMask) == 0 != ((next & DownMask) == 0))
                {
                    Interlocked.Exchange(ref _lastChangeTicks, _time.GetUtcNow().UtcTicks);
                }

                return true;
            }
        }
    }

    /// <summary>How real traffic's connect failures mark this backend down; set by the health monitor per snapshot.</summary>
    internal IPassiveHealth? PassiveHealth
    {
        get => Volatile.Read(ref _passive);
        set => Volatile.Write(ref _passive, value);
    }

    /// <summary>Keeps <paramref name="result"/> as the last check and counts it; returns the consecutive passes or failures.</summary>
    public int RecordCheck(CheckResult result)
    {
        Volatile.Write(ref _lastCheck, result);
        return result.Passed ? RecordCheckPassed() : RecordCheckFailed();
    }

    /// <summary>Counts an active check that passed (and ends a run of failures); returns the consecutive passes.</summary>
    public int RecordCheckPassed()
    {
        Interlocked.Increment(ref _checks);
        Volatile.Write(ref _checkFailures, 0);
        return Interlocked.Increment(ref _checkSuccesses);
    }

    /// <summary>Counts an active check that failed (and ends a run of passes); returns the consecutive failures.</summary>
    public int RecordCheckFailed()
    {
        Interlocked.Increment(ref _checks);
        Volatile.Write(ref _checkSuccesses, 0);
        return Interlocked.Increment(ref _checkFailures);
    }

    /// <summary>
    /// Without active checks a passively downed backend is tried again after <c>interval</c> (nginx's
    /// <c>fail_timeout</c>): back in rotation, but on probation, so that one more failed connect
    /// marks it down again at once while one success clears the count. True if it was down.
    /// </summary>
    public bool RetryAfterPassiveDown(int fall)
    {
        if (!SetUp(true))
        {
            return false;
        }

        // On probation, not known good: the passive check's reason no longer describes it.
        if (LastCheck is { Status: CheckStatus.L4CON } passive)
        {
            Interlocked.CompareExchange(ref _lastCheck, null, passive);
        }

        Volatile.Write(ref _consecutiveFailures, Math.Max(0, fall - 1));
        return true;
    }

    /// <summary>
    /// Takes a connection slot unless the backend is at its <c>max_connections</c>. A CAS loop, not
    /// check-then-increment, so a burst of simultaneous picks can never overshoot the limit.
    /// </summary>
    public bool TryAcquire()
    {
        var max = EffectiveMaxConnections;
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

    /// <summary>
    /// Records a failed connect of real traffic (the passive check); returns the consecutive failure
    /// count. Reaching the tenant's <c>fall</c> marks the backend down.
    /// </summary>
    public int RecordConnectFailure()
    {
        Interlocked.Increment(ref _connectFailures);
        var consecutive = Interlocked.Increment(ref _consecutiveFailures);
        if (PassiveHealth is { } passive && consecutive >= passive.Fall && SetUp(false))
        {
            // Real traffic's connects are layer 4 checks too: HAProxy's L4CON says the same of its own.
            Volatile.Write(ref _lastCheck, new CheckResult(CheckStatus.L4CON, $"{consecutive} consecutive connects of client connections failed"));
            passive.OnMarkedDown(this, consecutive);
        }

        return consecutive;
    }

    public void RecordConnectSuccess() => Volatile.Write(ref _consecutiveFailures, 0);
}
