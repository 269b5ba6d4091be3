using System.Collections.Concurrent;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Cluster;

/// <summary>
/// This instance as a member of a fleet sharing tenant limits and drains through Redis. A background loop
/// syncs every <see cref="ClusterConfig.SyncInterval"/>: one atomic script (<see cref="LeaseScript"/>)
/// renews the heartbeat, reports each tenant's use and demand and brings back a lease, which
/// <see cref="FleetShare"/> hands to admission. Nothing on the connection path waits on Redis.
/// </summary>
/// <remarks>
/// <para>Consistency: while Redis answers, the caps the members enforce sum to at most the limit (a
/// member lowers its cap before Redis frees the capacity, and raises it only to a lease Redis granted
/// out of free capacity). A lease is valid here for <c>TTL − interval</c> after the sync that granted it
/// was sent, while Redis keeps it for TTL after it ran the script, so this member stops relying on a lease
/// before Redis can give it to anyone else. Past that, with Redis unreachable, <c>on_redis_down</c> applies;
/// that is where the fleet can overshoot (README, "Operating a fleet").</para>
/// <para>Drains: the operator's drain is applied here at once, queued, and sent to Redis (the drained set
/// plus a message to the live members) as soon as Redis answers; each sync brings the drained set back so
/// members that missed a message, or started later, converge on it.</para>
/// </remarks>
internal sealed class ClusterMember : IAsyncDisposable
{
    /// <summary>Weight of the newest interval in the smoothed rate demand (<see cref="LeaseState.RateDemand"/>).</summary>
    private const double DemandSmoothing = 0.3;

    private readonly ClusterConfig _config;
    private readonly IFleetHost _host;
    private readonly Func<ClusterConfig, string, Task<IFleetStore>> _connect;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, LeaseState> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FleetDrain> _pendingDrains = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly ITimer _expiry;
    private IFleetStore? _store;
    private Task? _loop;
    private bool? _redisUp;
    private bool _subscribed;
    private bool _expired = true;
    private string[] _members = [];
    private long _lastSyncAt;
    private int _disposed;

    public ClusterMember(ClusterConfig config, IFleetHost host, Func<ClusterConfig, string, Task<IFleetStore>> connect, ILogger logger, TimeProvider time)
    {
        _config = config;
        _host = host;
        _connect = connect;
        _logger = logger;
        _time = time;
        MemberId = $"{config.Instance}#{Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))[..8]}";
        _expiry = time.CreateTimer(static s => ((ClusterMember)s!).OnLeaseExpired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string MemberId { get; }

    public bool RedisUp => Volatile.Read(ref _members).Length > 0 && _redisUp == true;

    /// <summary>Connects (returns at once when Redis is down) and tries one sync, bounded by the sync interval, before the listeners open.</summary>
    public async Task StartAsync()
    {
        ClusterLog.Joining(_logger, MemberId, _config.Redis, DurationParser.Format(_config.SyncInterval), PolicyName);
        _store = await _connect(_config, MemberId).ConfigureAwait(false);
        await TrySubscribeAsync().ConfigureAwait(false);
        var next = _time.GetTimestamp() + Ticks(_config.SyncInterval);
        await SyncAsync().ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(next));
    }

    /// <summary>
    /// A tenant's limit state, when the engine first serves it: until its first lease it runs under the
    /// fallback policy (the live count last seen, or 1), never under its whole limit alone by default.
    /// </summary>
    public void Enroll(TenantLimitState limits)
    {
        lock (_gate)
        {
            if (limits.Fleet.Mode == FleetShareMode.Local)
            {
                limits.Fleet.SetFallback(FallbackMode, Math.Max(1, Volatile.Read(ref _members).Length));
            }
        }
    }

    /// <summary>The operator drained or undrained a backend here (already applied): tell the fleet as soon as Redis answers.</summary>
    public void PublishDrain(FleetDrain drain)
    {
        _pendingDrains.Enqueue(drain);
        Volatile.Read(ref _wake).TrySetResult();
    }

    public ClusterStatus Status()
    {
        var members = Volatile.Read(ref _members);
        var last = Interlocked.Read(ref _lastSyncAt);
        return new ClusterStatus(
            _config.Instance,
            MemberId,
            RedisUp,
            PolicyName,
            _config.SyncInterval.TotalSeconds,
            [.. members.Select(InstanceOf).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            members,
            last == 0 ? null : new DateTimeOffset(last, TimeSpan.Zero));
    }

    private string PolicyName => _config.OnRedisDown switch
    {
        RedisDownPolicy.Open => "open",
        RedisDownPolicy.Closed => "closed",
        _ => "local_share",
    };

    private FleetShareMode FallbackMode => _config.OnRedisDown switch
    {
        RedisDownPolicy.Open => FleetShareMode.Open,
        RedisDownPolicy.Closed => FleetShareMode.Closed,
        _ => FleetShareMode.LocalShare,
    };

    private static string InstanceOf(string member) => member.IndexOf('#', StringComparison.Ordinal) is var hash and > 0 ? member[..hash] : member;

    /// <param name="next">When the next sync is due: one interval after the first one started.</param>
    private async Task RunAsync(long next)
    {
        while (!_stop.IsCancellationRequested)
        {
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), next);
            var wake = Volatile.Read(ref _wake);
            if (wait > TimeSpan.Zero && _pendingDrains.IsEmpty)
            {
                // The sync's time on this TimeProvider, or at once for a drain to send.
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var delay = Task.Delay(wait, _time, tick.Token);

                // The wait was measured before the timer started: if the clock passed the due time in
                // between (a test's fake clock, or a stall), the timer would wait a whole interval more.
                if (_time.GetTimestamp() < next)
                {
                    await Task.WhenAny(wake.Task, delay).ConfigureAwait(false);
                }

                await tick.CancelAsync().ConfigureAwait(false);
            }

            if (_stop.IsCancellationRequested)
            {
                break;
            }

            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }

            await FlushDrainsAsync().ConfigureAwait(false);
            if (_time.GetTimestamp() >= next)
            {
                next = _time.GetTimestamp() + Ticks(_config.SyncInterval);
                if (!_subscribed)
                {
                    await TrySubscribeAsync().ConfigureAwait(false);
                }

                await SyncAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One sync, bounded by the interval: a Redis that hangs costs a late lease, never a stuck loop.</summary>
    private async Task SyncAsync()
    {
        var sentAt = _time.GetTimestamp();
        var (demands, limits) = TakeDemands(sentAt);
        try
        {
            var reply = await _store!.SyncAsync(MemberId, _config.LeaseTtl, demands).WaitAsync(_config.SyncInterval, _time, _stop.Token).ConfigureAwait(false);
            Apply(reply, demands, limits, sentAt);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            SetRedisUp(false, ex);
        }
    }

    private (TenantDemand[] Demands, TenantLimitState[] Limits) TakeDemands(long now)
    {
        var tenants = _host.FleetTenants();
        var demands = new List<TenantDemand>(tenants.Count);
        var limits = new List<TenantLimitState>(tenants.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var tenant in tenants)
            {
                var limited = tenant.MaxConnections > 0 || tenant.ConnectionRate > 0;
                if (!limited && !_leases.ContainsKey(tenant.Name))
                {
                    continue;
                }

                seen.Add(tenant.Name);
                if (!_leases.TryGetValue(tenant.Name, out var lease))
                {
                    _leases[tenant.Name] = lease = new LeaseState { DemandTakenAt = now };
                }

                var share = tenant.Limits.Fleet;
                var (refused, checks) = share.TakeDemand();
                var seconds = Math.Max(_time.GetElapsedTime(lease.DemandTakenAt, now).TotalSeconds, 0.001);
                lease.DemandTakenAt = now;
                int cap;
                double rateCap;
                if (share.Mode == FleetShareMode.Lease && !_expired)
                {
                    // Give back what the target no longer needs before telling Redis, then count again:
                    // a connection admitted under the old cap while it was being lowered is still reported.
                    cap = Math.Min(share.ConnectionCap, Math.Max(tenant.Limits.Connections.Count, lease.Target));
                    rateCap = Math.Min(share.RateShare, lease.RateTarget); // tokens are not held: the rate shrinks at once
                    share.SetLease(cap, rateCap, share.LiveInstances);
                    cap = Math.Max(cap, tenant.Limits.Connections.Count);
                }
                else
                {
                    // No lease in force: ask for everything; Redis grants at most the old lease, or what is free.
                    cap = tenant.MaxConnections;
                    rateCap = tenant.ConnectionRate;
                }

                var measured = checks / seconds;
                lease.RateDemand = lease.RateDemand < 0 ? measured : (lease.RateDemand * (1 - DemandSmoothing)) + (measured * DemandSmoothing);
                var used = tenant.Limits.Connections.Count;
                demands.Add(new TenantDemand(
                    tenant.Name,
                    tenant.MaxConnections,
                    used,
                    used + refused,
                    Math.Max(cap, 0),
                    tenant.ConnectionRate,
                    lease.RateDemand,
                    Math.Max(rateCap, 0)));
                limits.Add(tenant.Limits);
                if (!limited)
                {
                    _leases.Remove(tenant.Name); // told Redis once that it holds nothing for it
                }
            }

            // A tenant removed from the config holds no lease any more; zeros release it at once.
            foreach (var name in _leases.Keys.Where(n => !seen.Contains(n)).ToList())
            {
                demands.Add(new TenantDemand(name, 0, 0, 0, 0, 0, 0, 0));
                limits.Add(new TenantLimitState());
                _leases.Remove(name);
            }
        }

        return ([.. demands], [.. limits]);
    }

    private void Apply(SyncReply reply, TenantDemand[] demands, TenantLimitState[] limits, long sentAt)
    {
        lock (_gate)
        {
            _expired = false;
            var live = Math.Max(1, reply.LiveMembers.Count);
            for (var i = 0; i < demands.Length; i++)
            {
                var grant = reply.Grants[i];
                var share = limits[i].Fleet;
                if (_leases.TryGetValue(demands[i].Tenant, out var lease))
                {
                    lease.Target = grant.Target;
                    lease.RateTarget = grant.RateTarget;
                }

                // Up to the lease Redis holds for us; down to the target at once where nothing uses it.
                var cap = demands[i].Limit > 0 ? Math.Min(grant.Lease, Math.Max(grant.Target, limits[i].Connections.Count)) : -1;

                // The rate keeps its whole lease until the next sync gives the surplus back: shrinking it here
                // already would leave that surplus unused by anyone for an interval.
                var rate = demands[i].Rate > 0 ? grant.RateLease : -1;
                share.SetLease(cap, rate, live);
            }

            // Valid here for TTL − interval from when the request left: Redis keeps it for TTL from when it ran.
            var validFor = _config.LeaseTtl - _config.SyncInterval - _time.GetElapsedTime(sentAt);
            _expiry.Change(validFor > TimeSpan.Zero ? validFor : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        var previous = Volatile.Read(ref _members);
        var members = reply.LiveMembers.Order(StringComparer.Ordinal).ToArray();
        Volatile.Write(ref _members, members);
        Interlocked.Exchange(ref _lastSyncAt, _time.GetUtcNow().UtcTicks);
        if (SetRedisUp(true, null) is false && !previous.SequenceEqual(members))
        {
            ClusterLog.MembersChanged(_logger, members.Length, string.Join(", ", members));
        }

        ReconcileDrains(reply.DrainKeys);
    }

    private void OnLeaseExpired()
    {
        int instances;
        lock (_gate)
        {
            if (_expired)
            {
                return;
            }

            _expired = true;
            instances = Math.Max(1, Volatile.Read(ref _members).Length);
            foreach (var tenant in _host.FleetTenants())
            {
                tenant.Limits.Fleet.SetFallback(FallbackMode, instances);
            }
        }

        ClusterLog.LeasesExpired(_logger, PolicyName, instances);
    }

    /// <summary>Logs a change of reachability once; returns whether it changed.</summary>
    private bool SetRedisUp(bool up, Exception? error)
    {
        bool changed;
        lock (_gate)
        {
            changed = _redisUp != up;
            _redisUp = up;
        }

        if (changed)
        {
            if (up)
            {
                var members = Volatile.Read(ref _members);
                ClusterLog.RedisUp(_logger, members.Length, string.Join(", ", members));
            }
            else
            {
                ClusterLog.RedisDown(_logger, error is TimeoutException ? "no answer within sync_interval" : error?.Message ?? "unknown", PolicyName);
            }
        }

        return changed;
    }

    private async Task FlushDrainsAsync()
    {
        while (_pendingDrains.TryPeek(out var drain))
        {
            try
            {
                await _store!.PublishDrainAsync(MemberId, drain).WaitAsync(_config.SyncInterval, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
            {
                SetRedisUp(false, ex);
                return; // kept, in order, for when Redis answers
            }

            _pendingDrains.TryDequeue(out _);
        }
    }

    private async Task TrySubscribeAsync()
    {
        try
        {
            await _store!.SubscribeDrainsAsync(OnDrainMessage).WaitAsync(_config.SyncInterval, _time, _stop.Token).ConfigureAwait(false);
            _subscribed = true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
            // The loop tries again at the next sync; the drained set in each sync covers the gap.
        }
    }

    private void OnDrainMessage(string message)
    {
        if (!FleetDrain.TryParseMessage(message, out var member, out var drain))
        {
            ClusterLog.BadDrainMessage(_logger, message.Length > 200 ? message[..200] : message);
            return;
        }

        if (member != MemberId)
        {
            ApplyDrain(drain);
        }
    }

    private void ReconcileDrains(IReadOnlyList<string> keys)
    {
        var drained = keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var pending = _pendingDrains.Select(d => d.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var backend in _host.FleetBackends())
        {
            var key = new FleetDrain(backend.Tenant, backend.Address, true).Key;
            var draining = drained.Contains(key);
            if (backend.IsDraining != draining && !pending.Contains(key))
            {
                ApplyDrain(new FleetDrain(backend.Tenant, backend.Address, draining));
            }
        }
    }

    private void ApplyDrain(FleetDrain drain)
    {
        _host.ApplyFleetDrain(drain.Tenant, drain.Address, drain.Draining);
        ClusterLog.FleetDrainApplied(_logger, drain.Tenant, drain.Address, drain.Draining ? "drained" : "undrained");
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Stops syncing and gives the leases back, bounded by one sync interval.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A sync or a drain in flight when the stop came: nothing was half-applied (each applies
                // only on its answer), and leaving below gives the leases back.
            }
        }

        await _expiry.DisposeAsync().ConfigureAwait(false);
        if (_store is { } store)
        {
            string[] tenants;
            lock (_gate)
            {
                tenants = [.. _leases.Keys];
            }

            try
            {
                await FlushDrainsOnceAsync(store).ConfigureAwait(false);
                await store.LeaveAsync(MemberId, tenants).WaitAsync(_config.SyncInterval, _time).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                ClusterLog.LeaveFailed(_logger, ex.Message);
            }

            await store.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task FlushDrainsOnceAsync(IFleetStore store)
    {
        while (_pendingDrains.TryDequeue(out var drain))
        {
            await store.PublishDrainAsync(MemberId, drain).WaitAsync(_config.SyncInterval, _time).ConfigureAwait(false);
        }
    }
}
