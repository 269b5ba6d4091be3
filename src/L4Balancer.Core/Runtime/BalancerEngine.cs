using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Cluster;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Health;
using L4Balancer.Core.Health.Feedback;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using L4Balancer.Core.Transport;
using L4Balancer.Core.Transport.Epoll;
using L4Balancer.Core.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// The running balancer: the current config snapshot, the bound listeners, the open sessions, the
/// health checks. The host drives it (start, reload, drain a backend, stop); tests drive it the
/// same way in-process. Start, reload and stop run one at a time.
/// </summary>
internal sealed class BalancerEngine : IBalancerState, IBalancerCommands, IFleetHost, IAsyncDisposable
{
    // `prlimit --pid` changes a running process's limit without telling it; getrlimit once a second
    // costs nothing and lets the budget follow within a second.
    private static readonly TimeSpan DescriptorCheckInterval = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Random? _random;
    private readonly FlowContext _context;
    /// <summary>Buffer sizes and the backend socket factory of the sockets transport.</summary>
    private readonly RelayOptions _relay;

    /// <summary>The epoll transport when the config chose it at start; null: the sockets transport.</summary>
    private EpollTransport? _epoll;

    /// <summary>Set: this transport whatever the config says (the integration suite runs on each).</summary>
    private readonly TransportKind? _transportOverride;
    private readonly Dictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private readonly Func<long?>? _descriptorLimit;
    private readonly SpareDescriptors? _spares;
    private readonly Lock _descriptorLock = new();
    private (long Limit, int Connections)? _sparesReleasedAt;
    private ITimer? _descriptorTimer;
    private readonly Func<ClusterConfig, string, Task<IFleetStore>> _fleetStore;
    private readonly ILoggerFactory _loggerFactory;
    private RuntimeSnapshot? _current;

    /// <summary>This instance's fleet membership when the config had <c>[cluster]</c> at start.</summary>
    private ClusterMember? _cluster;
    private long _nextSessionId;
    private long _generation;
    private bool _stopped;
    private volatile bool _accepting;

    /// <param name="descriptorLimit">
    /// Reads the open-files soft limit (null: unknown) for the descriptor budget, which caps
    /// <c>global.max_connections</c>; the host passes <see cref="DescriptorLimit.ReadSoft"/>. Without it
    /// (engines run in-process by tests) only the configured limit applies.
    /// </param>
    /// <param name="spares">Descriptors to give up when an accept finds none left (the engine disposes them).</param>
    /// <param name="transport">Overrides <c>[global] transport</c> (tests run the same suite on each transport).</param>
    /// <param name="fleetStore">Connects to the fleet's store for <c>[cluster]</c> (default: Redis).</param>
    /// <param name="feedbackSources">Makes a tenant's load feedback source (default: the agent or Prometheus source its table names).</param>
    /// <param name="resolveHost">DNS for backend host names that did not resolve at load (default: the system resolver).</param>
    public BalancerEngine(ILoggerFactory loggerFactory, TimeProvider timeProvider, RelayOptions? relay = null, Random? random = null, TimeSpan? idleScanInterval = null, IHealthProbe? healthProbe = null, Func<long?>? descriptorLimit = null, SpareDescriptors? spares = null, TransportKind? transport = null, Func<ClusterConfig, string, Task<IFleetStore>>? fleetStore = null, Func<FeedbackConfig, IFeedbackSource>? feedbackSources = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolveHost = null)
    {
        State = new StateStore(timeProvider);
        _loggerFactory = loggerFactory;
        _fleetStore = fleetStore ?? (static async (config, member) => await RedisFleetStore.ConnectAsync(config, member).ConfigureAwait(false));
        _transportOverride = transport;
        _logger = loggerFactory.CreateLogger("L4Balancer.Engine");
        _timeProvider = timeProvider;
        _random = random;
        _descriptorLimit = descriptorLimit;
        _spares = spares;
        Connections = new ConnectionRegistry(timeProvider, idleScanInterval ?? TimeSpan.FromSeconds(1));
        Metrics = new BalancerMetrics(new EngineMetricsSource(() => CurrentOrNull, State, Connections, GetClusterStatus, timeProvider), Rejections, Reloads, Upgrades);
        _relay = relay ?? new RelayOptions();
        _context = new FlowContext(loggerFactory, timeProvider, Connections, Rejections, Limits, Metrics) { OutOfDescriptors = ReleaseSpareDescriptors };
        Health = new HealthMonitor(loggerFactory.CreateLogger("L4Balancer.Health"), timeProvider, healthProbe, resolveHost);
        Feedback = new FeedbackMonitor(loggerFactory.CreateLogger("L4Balancer.Feedback"), timeProvider, feedbackSources);
    }

    public RuntimeSnapshot Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("the engine has not started");

    /// <summary>The generation of the config serving now: 1 at start, +1 for every reload that succeeded.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The current snapshot, or null before <see cref="StartAsync"/> (for views that may ask early: admin, metrics).</summary>
    public RuntimeSnapshot? CurrentOrNull => Volatile.Read(ref _current);

    public StateStore State { get; }

    public ConnectionRegistry Connections { get; }

    public RejectionCounters Rejections { get; } = new();

    /// <summary>Process-wide admission counts; they outlive every snapshot, the limits come from each.</summary>
    public GlobalLimitState Limits { get; } = new();

    /// <summary>Config reloads by outcome; counted here only (<see cref="ReloadAsync"/>, <see cref="RejectReload"/>).</summary>
    public OutcomeCounters Reloads { get; } = new();

    /// <summary>
    /// Binary upgrades this process (and, carried over, its predecessors) started; counted here only
    /// (<see cref="RecordUpgrade"/>, <see cref="CompleteTakeover"/>).
    /// </summary>
    public OutcomeCounters Upgrades { get; } = new();

    /// <summary>Set once this process has taken over from a predecessor (SIGUSR2 upgrade); null for a fresh start.</summary>
    public Takeover? TookOver { get; private set; }

    /// <summary>An upgrade this process started has ended: committed to its successor, or called off.</summary>
    public void RecordUpgrade(bool succeeded) => Upgrades.Record(succeeded);

    /// <summary>
    /// This process took over from <paramref name="parentPid"/>, which committed: its upgrade counts are
    /// carried (so <c>l4lb_upgrades_total</c> reads as the service's history), this upgrade counts as a
    /// success, and the status shows the takeover.
    /// </summary>
    public void CompleteTakeover(int parentPid, long predecessorOk, long predecessorError)
    {
        Upgrades.Carry(predecessorOk, predecessorError);
        Upgrades.Record(true);
        TookOver = new Takeover(parentPid, _timeProvider.GetUtcNow());
    }

    public HealthMonitor Health { get; }

    /// <summary>Load reports from the backends (<c>[tenant.feedback]</c>, issue 16).</summary>
    public FeedbackMonitor Feedback { get; }

    /// <summary>The "L4Balancer" meter and its instruments (SPEC "Metrics"), reading this engine's counters.</summary>
    public BalancerMetrics Metrics { get; }

    int IBalancerState.OpenConnections => Connections.Count;

    (long Ok, long Error) IBalancerState.ReloadCounts => (Reloads.Ok, Reloads.Error);

    (long Ok, long Error) IBalancerState.UpgradeCounts => (Upgrades.Ok, Upgrades.Error);

    DescriptorFigures? IBalancerState.DescriptorBudget => Limits.Descriptors.Current;

    int IBalancerState.EffectiveMaxConnections(int configured) => Limits.Descriptors.Limit(configured);

    IEnumerable<(string Listener, string Tenant, CloseReason Reason, long Count)> IBalancerState.Rejections() => Rejections.Snapshot();

    IReadOnlyList<TenantBytes> IBalancerState.TenantBytes() => Metrics.TenantBytes();

    Meter IBalancerState.Meter => Metrics.Meter;

    /// <summary>True while listeners are bound and accepting: after <see cref="StartAsync"/>, until <see cref="StopAsync"/> closes them.</summary>
    public bool IsAccepting => _accepting;

    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>Listener name → bound address (with the real port when the config said 0).</summary>
    public IReadOnlyDictionary<string, IPEndPoint> ListenerEndPoints
    {
        get
        {
            lock (_listeners)
            {
                return _listeners.ToDictionary(l => l.Key, l => l.Value.LocalEndPoint, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>
    /// Builds the first snapshot and binds every listener (or adopts the socket a predecessor handed
    /// over, see <see cref="EngineStart"/>); if any bind fails, none stays bound.
    /// </summary>
    public async Task StartAsync(BalancerConfig config, EngineStart? start = null)
    {
        start ??= EngineStart.Fresh;
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_current is not null || _stopped)
            {
                throw new InvalidOperationException("the engine starts once");
            }

            var snapshot = SnapshotBuilder.Build(config, start.Generation, State, _timeProvider, _random);
            if ((_transportOverride ?? config.Global.Transport) switch
                {
                    TransportKind.Epoll => true,
                    TransportKind.Auto => EpollTransport.IsSupported, // the fast one where the system calls work
                    _ => false,
                })
            {
                _epoll = new EpollTransport(config.Global.Threads > 0 ? config.Global.Threads : Environment.ProcessorCount, _relay.PauseThreshold, _timeProvider);
            }

            var bound = await BindAllAsync(config.Listeners, config.Global.Backlog, start.Adopted).ConfigureAwait(false);
            State.Commit(snapshot);

            // The predecessor's drains hold before the first connection is accepted, and so do its weights
            // where this config still gives the backend the weight they were set against.
            foreach (var drained in start.Drains)
            {
                SetDraining(snapshot, drained.Tenant, drained.Address, draining: true);
            }

            foreach (var weighted in start.Weights)
            {
                if (snapshot.Tenants.GetValueOrDefault(weighted.Tenant)?.FindBackend(weighted.Address) is { } backend
                    && backend.Weight == weighted.ConfiguredWeight)
                {
                    backend.SetWeightOverride(weighted.Weight);
                }
            }

            Publish(snapshot);
            if (config.Cluster is { } cluster)
            {
                // The first lease (or the fallback policy, Redis down) holds before the first accept.
                _cluster = new ClusterMember(cluster, this, _fleetStore, _loggerFactory.CreateLogger("L4Balancer.Cluster"), _timeProvider);
                EnrollTenants(snapshot);
                await _cluster.StartAsync().ConfigureAwait(false);
            }

            RefreshDescriptorBudget();
            if (_descriptorLimit is not null)
            {
                _descriptorTimer = _timeProvider.CreateTimer(static s => ((BalancerEngine)s!).RefreshDescriptorBudget(), this, DescriptorCheckInterval, DescriptorCheckInterval);
            }

            StartListeners(bound);
            _accepting = true;
            Health.Apply(snapshot.Tenants.Values, config.Global.ResolveInterval);
            Feedback.Apply(snapshot.Tenants.Values);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Applies a new (validated) config without dropping a connection (SPEC "Reload"). New listeners
    /// are bound first; if any bind fails, the ones just bound are closed and the running config stays
    /// whole. Otherwise: backend state is committed (kept backends keep counters, health and drain),
    /// removed listeners stop accepting and their connections get <c>drain_timeout</c> before they are
    /// closed as <c>drained</c>, the new snapshot is swapped in for new connections (open ones keep the
    /// snapshot and backend they started with), new listeners start accepting, and health checks are
    /// retuned. Listeners with the same name and bind address keep their socket. Reloads are serialized.
    /// </summary>
    /// <remarks>Every outcome is counted in <see cref="Reloads"/>; so are reloads that never got here (<see cref="RejectReload"/>).</remarks>
    public async Task<ReloadResult> ReloadAsync(BalancerConfig config, CancellationToken cancellationToken = default)
    {
        var result = await ApplyAsync(config, cancellationToken).ConfigureAwait(false);
        Reloads.Record(result.Succeeded);
        return result;
    }

    /// <summary>
    /// A reload that ended before it could reach <see cref="ReloadAsync"/> (the file is invalid, there is
    /// no file, the reload path faulted): the running config is kept, and the attempt is counted as a
    /// failure like one the engine refused, so <c>l4lb_config_reloads_total</c> sees every attempt.
    /// </summary>
    /// <param name="unavailable">There was nothing to reload from (see <see cref="ReloadResult.Unavailable"/>).</param>
    public ReloadResult RejectReload(IReadOnlyList<string> errors, bool unavailable = false)
    {
        Reloads.Record(false);
        return new ReloadResult(false, Generation, errors) { Unavailable = unavailable };
    }

    private async Task<ReloadResult> ApplyAsync(BalancerConfig config, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var old = Volatile.Read(ref _current);
            if (old is null || _stopped)
            {
                return ReloadResult.Failed(Generation, old is null ? "the balancer has not started" : "the balancer is shutting down");
            }

            var generation = Generation + 1;
            var snapshot = SnapshotBuilder.Build(config, generation, State, _timeProvider, _random);

            Dictionary<string, Listener> running;
            lock (_listeners)
            {
                running = new Dictionary<string, Listener>(_listeners, StringComparer.Ordinal);
            }

            var kept = new List<Listener>();
            var added = new List<ListenerConfig>();
            foreach (var listener in config.Listeners)
            {
                if (running.TryGetValue(listener.Name, out var existing) && existing.Config.Bind.Equals(listener.Bind))
                {
                    kept.Add(existing);
                }
                else
                {
                    added.Add(listener);
                }
            }

            var removed = running.Values.Except(kept).ToList();

            List<Listener> bound;
            try
            {
                bound = await BindAllAsync(added, config.Global.Backlog).ConfigureAwait(false);
            }
            catch (ListenerBindException ex)
            {
                RuntimeLog.ReloadFailed(_logger, Generation, ex.Message);
                return ReloadResult.Failed(Generation, ex.Message);
            }

            // From here on nothing can fail: the new config is applied.
            // Removed listeners stop before the swap: every connection they accepted is registered by
            // then (OnAccepted registers it), so the drain below sees all of them.
            lock (_listeners)
            {
                foreach (var listener in removed)
                {
                    _listeners.Remove(listener.Name);
                }
            }

            foreach (var listener in removed)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            // Commit after the swap, not before: committing marks removed backends unavailable, and
            // the old snapshot, still serving until the swap, may have no other backend to offer.
            Publish(snapshot);
            EnrollTenants(snapshot); // with [cluster], a new tenant runs under the fallback policy until its first lease

            if (config.Cluster != old.Config.Cluster)
            {
                RuntimeLog.ClusterConfigKept(_logger);
            }

            RefreshDescriptorBudget(); // listeners, backends and [admin] set the reserve
            LogBackendChanges(old, snapshot);
            foreach (var (backend, cleared, oldWeight) in State.Commit(snapshot))
            {
                RuntimeLog.BackendWeightOverrideCleared(_logger, backend.Tenant, backend.Address, cleared, oldWeight, backend.Weight);
            }

            DrainRemovedListeners([.. removed.Select(l => l.Name)], config.Global.DrainTimeout);
            StartListeners(bound);
            Health.Apply(snapshot.Tenants.Values, config.Global.ResolveInterval);
            Feedback.Apply(snapshot.Tenants.Values);

            RuntimeLog.Reloaded(_logger, generation, Names(bound), Names(removed), Names(kept));
            return ReloadResult.Applied(generation);
        }
        finally
        {
            _lifecycle.Release();
        }

        static string Names(IEnumerable<Listener> listeners) => string.Join(", ", listeners.Select(l => l.Name));
    }

    /// <summary>
    /// Puts a backend of the serving config into draining (no new connections, open ones continue) or
    /// back into rotation, and logs the change. The flag lives on the backend's surviving state, so it
    /// holds across reloads until undrained. The admin API's drain routes come through here.
    /// </summary>
    /// <param name="address">As written in the config (case-insensitive), or as resolved (see <see cref="TenantState.FindBackend"/>).</param>
    /// With <c>[cluster]</c> the change goes to every instance of the fleet too (<see cref="ClusterMember.PublishDrain"/>).
    public DrainResult SetDraining(string tenant, string address, bool draining)
    {
        if (Volatile.Read(ref _current) is not { } snapshot)
        {
            return DrainResult.NotStarted;
        }

        var result = SetDraining(snapshot, tenant, address, draining);
        if (result is { Applied: true, Backend: { } backend } && _cluster is { } cluster)
        {
            cluster.PublishDrain(new FleetDrain(tenant, backend.Address, draining));
        }

        return result;
    }

    /// <summary>
    /// Sets a backend's weight (issue 17) on its surviving state, next to the drain flag, so it holds across
    /// reloads the same way, until one changes the backend's configured weight. Per instance: unlike a drain
    /// it is not sent to the fleet (README "Admin API").
    /// </summary>
    public DrainResult SetWeight(string tenant, string address, int weight)
    {
        if (Volatile.Read(ref _current) is not { } snapshot)
        {
            return DrainResult.NotStarted;
        }

        if (!snapshot.Tenants.TryGetValue(tenant, out var state))
        {
            return DrainResult.NoSuchTenant;
        }

        if (state.FindBackend(address) is not { } backend)
        {
            return DrainResult.NoSuchBackend;
        }

        var previous = backend.SetWeightOverride(weight);
        RuntimeLog.BackendWeightSet(_logger, tenant, backend.Address, weight, previous, backend.Weight);
        return new DrainResult(DrainStatus.Applied, backend);
    }

    /// <summary>The fleet membership's state for <c>/api/status</c>; null without <c>[cluster]</c>.</summary>
    public ClusterStatus? GetClusterStatus() => _cluster?.Status();

    IReadOnlyList<FleetTenant> IFleetHost.FleetTenants() =>
        CurrentOrNull is { } snapshot
            ? [.. snapshot.Tenants.Values.Select(t => new FleetTenant(t.Name, t.Config.MaxConnections, t.Config.ConnectionRate, t.Limits))]
            : [];

    IEnumerable<BackendState> IFleetHost.FleetBackends() =>
        CurrentOrNull is { } snapshot ? snapshot.Tenants.Values.SelectMany(t => t.Backends) : [];

    void IFleetHost.ApplyFleetDrain(string tenant, string address, bool draining)
    {
        if (CurrentOrNull is { } snapshot)
        {
            SetDraining(snapshot, tenant, address, draining);
        }
    }

    private void EnrollTenants(RuntimeSnapshot snapshot)
    {
        foreach (var tenant in snapshot.Tenants.Values)
        {
            _cluster?.Enroll(tenant.Limits);
        }
    }

    /// <summary>The backends of the serving config the operator drained, for a successor to keep drained.</summary>
    public IReadOnlyList<DrainedBackend> DrainedBackends() =>
        CurrentOrNull is not { } snapshot
            ? []
            : [.. snapshot.Tenants.Values.SelectMany(t => t.Backends).Where(b => b.IsDraining).Select(b => new DrainedBackend(b.Tenant, b.Address))];

    /// <summary>The backends of the serving config whose weight the operator set, for a successor to keep.</summary>
    public IReadOnlyList<WeightedBackend> WeightedBackends() =>
        CurrentOrNull is not { } snapshot
            ? []
            : [.. snapshot.Tenants.Values.SelectMany(t => t.Backends)
                .Where(b => b.WeightOverride is not null)
                .Select(b => new WeightedBackend(b.Tenant, b.Address, b.WeightOverride!.Value, b.Weight))];

    /// <summary>Every listener serving now with its socket, for a binary upgrade to hand over.</summary>
    public IReadOnlyList<Listener> ListenersForHandover()
    {
        lock (_listeners)
        {
            return [.. _listeners.Values];
        }
    }

    /// <summary>
    /// A successor has taken the listening sockets over (a binary upgrade): stop accepting now, without
    /// closing the kernel sockets the successor serves (see <see cref="SharedSocket"/>), and refuse
    /// reloads. Open sessions continue; <see cref="StopAsync"/> drains them.
    /// </summary>
    public async Task HandOverAsync()
    {
        _accepting = false;
        await MarkStoppedAsync().ConfigureAwait(false);
        await CloseListenersAsync().ConfigureAwait(false);
    }

    private DrainResult SetDraining(RuntimeSnapshot snapshot, string tenant, string address, bool draining)
    {
        if (!snapshot.Tenants.TryGetValue(tenant, out var state))
        {
            return DrainResult.NoSuchTenant;
        }

        if (state.FindBackend(address) is not { } backend)
        {
            return DrainResult.NoSuchBackend;
        }

        if (backend.SetDraining(draining))
        {
            if (draining)
            {
                RuntimeLog.BackendDraining(_logger, tenant, backend.Address, backend.ActiveConnections);
            }
            else
            {
                RuntimeLog.BackendUndrained(_logger, tenant, backend.Address);
            }
        }

        return new DrainResult(DrainStatus.Applied, backend);
    }

    /// <summary>
    /// Recomputes the descriptor budget from the soft limit now and the serving config, and logs the
    /// figures when they change (at start, after a reload that changes the reserve, and when the limit
    /// of the running process is changed).
    /// </summary>
    private void RefreshDescriptorBudget()
    {
        if (_descriptorLimit is null || CurrentOrNull is not { } snapshot)
        {
            return;
        }

        lock (_descriptorLock)
        {
            if (_descriptorLimit() is not { } limit)
            {
                return;
            }

            if (limit < Limits.Descriptors.Current?.Limit)
            {
                ReleaseSparesIfShort(limit);
            }

            TryRestoreSpares(limit);

            var figures = DescriptorBudget.Compute(limit, snapshot.Config);
            if (Limits.Descriptors.Update(figures))
            {
                var configured = snapshot.Config.Global.MaxConnections;
                var capped = configured > figures.MaxConnections;
                RuntimeLog.DescriptorBudget(_logger, capped ? LogLevel.Warning : LogLevel.Information, figures.Limit, figures.Reserved,
                    Limits.Descriptors.Limit(configured), configured, capped ? ": the open-files limit allows fewer than configured" : "");
            }
        }
    }

    /// <summary>
    /// An accept found no descriptor left (EMFILE): give the spares up so the runtime can still create a
    /// thread or load an assembly (see <see cref="SpareDescriptors"/>). Called by every accept loop, the
    /// admin endpoint's too; only the first call after a restore releases anything.
    /// </summary>
    public void ReleaseSpareDescriptors()
    {
        lock (_descriptorLock)
        {
            if (_spares?.Release() != true)
            {
                return;
            }

            // Every descriptor was in use at this limit with these connections open.
            _sparesReleasedAt = (_descriptorLimit?.Invoke() ?? 0, Connections.Count);
        }

        RuntimeLog.SparesReleased(_logger, SpareDescriptors.Count);
    }

    /// <summary>
    /// The limit was lowered under the running process (<c>prlimit --pid</c>): if it leaves fewer than
    /// two spares' worth free, or none at all, give the spares up now rather than wait for an accept to
    /// hit EMFILE; the runtime may need a descriptor first (a new thread), and that would abort.
    /// Counting /proc/self/fd costs a moment per thousand descriptors, so it is done only on a decrease.
    /// </summary>
    private void ReleaseSparesIfShort(long limit)
    {
        if (_spares is not { Held: true })
        {
            return;
        }

        var open = DescriptorLimit.CountOpen();
        if (open + (2 * SpareDescriptors.Count) <= limit)
        {
            return;
        }

        if (_spares.Release())
        {
            _sparesReleasedAt = (limit, Connections.Count);
            RuntimeLog.SparesReleasedForLowerLimit(_logger, limit, open?.ToString(CultureInfo.InvariantCulture) ?? "all", SpareDescriptors.Count);
        }
    }

    /// <summary>
    /// Takes the spares back once enough descriptors are free: the limit rose, or connections closed
    /// (two descriptors each), by twice the spares since they were released, so that holding them
    /// again still leaves as many free. Counted, not probed (see <see cref="SpareDescriptors"/>).
    /// </summary>
    private void TryRestoreSpares(long limit)
    {
        if (_spares is null || _sparesReleasedAt is not { } released)
        {
            return;
        }

        var freed = limit - released.Limit + (DescriptorBudget.DescriptorsPerConnection * (long)(released.Connections - Connections.Count));
        if (freed >= 2 * SpareDescriptors.Count && _spares.TryRestore())
        {
            _sparesReleasedAt = null;
            RuntimeLog.SparesRestored(_logger, SpareDescriptors.Count);
        }
    }

    private void Publish(RuntimeSnapshot snapshot)
    {
        Volatile.Write(ref _current, snapshot);
        Interlocked.Exchange(ref _generation, snapshot.Generation);
    }

    /// <summary>Binds (or adopts) every listener or none: on a failure the ones already bound are closed again.</summary>
    private async Task<List<Listener>> BindAllAsync(IEnumerable<ListenerConfig> configs, int backlog, AdoptedSockets? adopted = null)
    {
        var bound = new List<Listener>();
        try
        {
            foreach (var config in configs)
            {
                bound.Add(adopted?.TakeListener(config.Name, config.Bind) is { } socket
                    ? Listener.Adopt(config, socket, backlog, OnAccepted, ReleaseSpareDescriptors, _logger, _timeProvider)
                    : BindListener(config, backlog));
            }

            return bound;
        }
        catch (ListenerBindException)
        {
            foreach (var listener in bound)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private Listener BindListener(ListenerConfig config, int backlog)
    {
        try
        {
            return Listener.Bind(config, backlog, OnAccepted, ReleaseSpareDescriptors, _logger, _timeProvider);
        }
        catch (SocketException ex)
        {
            throw new ListenerBindException(config.Name, config.Bind, ex);
        }
    }

    private void StartListeners(List<Listener> listeners)
    {
        lock (_listeners)
        {
            foreach (var listener in listeners)
            {
                _listeners[listener.Name] = listener;
                listener.Start(_epoll is { } epoll ? l => epoll.Attach(l, OnAccepted) : null);
            }
        }
    }

    private void OnAccepted(Socket socket, Listener listener) => OnAccepted(new SocketClientConnection(socket, _relay, _timeProvider), listener);

    private void OnAccepted(IClientConnection client, Listener listener)
    {
        var snapshot = Current;
        if (!snapshot.Listeners.TryGetValue(listener.Name, out var route))
        {
            // Cannot happen while reloads stop removed listeners before the swap; kept as a guard.
            client.Dispose();
            return;
        }

        // The session starts on the accepting thread and runs until its first wait (a receive, the
        // backend connect), a few microseconds of non-blocking work. Queueing it to the thread pool
        // instead cost a thread hand-off per connection: 328–471 against 229–299 µs of CPU per
        // connection at 2000 new connections/s (three alternating pairs, bench/README.md "levers").
        var session = new ConnectionFlow(Interlocked.Increment(ref _nextSessionId), _context, snapshot, route, client);

        // RunAsync registers the session before its first wait, so a reload that has just stopped this
        // listener finds every connection it accepted, to drain it.
        _ = session.RunAsync();
    }

    /// <summary>Connections of removed listeners get <c>drain_timeout</c> to finish, then are closed as <c>drained</c>.</summary>
    private void DrainRemovedListeners(HashSet<string> names, TimeSpan timeout)
    {
        if (names.Count == 0)
        {
            return;
        }

        var sessions = Connections.Enumerate().Where(s => names.Contains(s.ListenerName)).ToList();
        foreach (var name in names)
        {
            RuntimeLog.ListenerRemoved(_logger, name, sessions.Count(s => s.ListenerName == name), DurationParser.Format(timeout));
        }

        if (sessions.Count > 0)
        {
            _ = CloseAfterAsync(sessions, timeout);
        }
    }

    private async Task CloseAfterAsync(List<ConnectionFlow> sessions, TimeSpan timeout)
    {
        try
        {
            await Task.Delay(timeout, _timeProvider, _disposing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the engine is being disposed, which closes everything anyway
        }

        var open = sessions.Where(s => s.Reason == CloseReason.None).ToList();
        if (open.Count > 0)
        {
            RuntimeLog.RemovedListenerDrainTimedOut(_logger, open.Count);
            foreach (var session in open)
            {
                session.Abort(CloseReason.Drained, reset: false);
            }
        }
    }

    private void LogBackendChanges(RuntimeSnapshot old, RuntimeSnapshot next)
    {
        foreach (var tenant in next.Tenants.Values)
        {
            old.Tenants.TryGetValue(tenant.Name, out var before);
            foreach (var backend in tenant.Backends)
            {
                if (before is null || !before.Backends.Contains(backend))
                {
                    RuntimeLog.BackendAdded(_logger, tenant.Name, backend.Address);
                }
            }
        }

        foreach (var tenant in old.Tenants.Values)
        {
            next.Tenants.TryGetValue(tenant.Name, out var after);
            foreach (var backend in tenant.Backends)
            {
                if (after is null || !after.Backends.Contains(backend))
                {
                    RuntimeLog.BackendRemoved(_logger, tenant.Name, backend.Address, backend.ActiveConnections);
                }
            }
        }
    }

    /// <summary>
    /// Graceful stop (SPEC "Signals"): close every listener at once, let open sessions finish for up
    /// to <c>drain_timeout</c>, then close the rest with reason <c>drained</c>.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _accepting = false;
        await MarkStoppedAsync().ConfigureAwait(false);
        await CloseListenersAsync().ConfigureAwait(false);
        var drainTimeout = _current?.Config.Global.DrainTimeout ?? TimeSpan.Zero;
        var open = Connections.Count;
        if (open > 0)
        {
            FlowLog.Draining(_logger, open, DurationParser.Format(drainTimeout));
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(drainTimeout);
            try
            {
                await Connections.WaitForEmptyAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                FlowLog.DrainTimedOut(_logger, Connections.Count);
                Connections.AbortAll(CloseReason.Drained);

                // Closing a socket completes its pending operations promptly; this wait is for the
                // sessions' bookkeeping (access log, counters), not for the network.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await Connections.WaitForEmptyAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Give up waiting; the process is exiting. Every path of a session ends once its
                    // sockets are closed, so this is a bug worth a line, not a wait.
                    FlowLog.SessionsStuck(_logger, Connections.Count);
                }
            }
        }

        // Leaves the fleet last: the leases covered the connections that just drained.
        await LeaveFleetAsync().ConfigureAwait(false);
    }

    private async Task LeaveFleetAsync()
    {
        if (Interlocked.Exchange(ref _cluster, null) is { } cluster)
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Waits for a reload in progress, then refuses further ones.</summary>
    private async Task MarkStoppedAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        _stopped = true;
        _lifecycle.Release();
    }

    private async Task CloseListenersAsync()
    {
        Listener[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners.Values];
            _listeners.Clear();
        }

        foreach (var listener in listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _accepting = false;
        await MarkStoppedAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        _descriptorTimer?.Dispose();
        _spares?.Dispose();
        Health.Dispose();
        Feedback.Dispose();
        await CloseListenersAsync().ConfigureAwait(false);
        Connections.AbortAll(CloseReason.Drained);
        await LeaveFleetAsync().ConfigureAwait(false);
        if (_epoll is { } epoll)
        {
            // The aborted sessions post their closes to the loops as they finish; the loops run what
            // was posted before they stop, so wait (bounded) for the sessions first, then stop the loops.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await Connections.WaitForEmptyAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                FlowLog.SessionsStuck(_logger, Connections.Count);
            }
        }

        Connections.Dispose();
        Metrics.Dispose();
        _epoll?.Dispose();
    }
}
