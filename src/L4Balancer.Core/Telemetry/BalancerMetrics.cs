using System.Diagnostics;
using System.Diagnostics.Metrics;
using L4Balancer.Core.Model;

namespace L4Balancer.Core.Telemetry;

/// <summary>
/// The engine's one <see cref="Meter"/> (SPEC "Metrics"). Everything but the two histograms is an
/// observable instrument that reads the counters the data path already keeps (tenant counters, backend
/// state, rejection, reload and upgrade counters) when a listener collects, so relaying a byte costs metrics
/// nothing. The histograms are recorded once per session: at connect, at the backend's first byte and at the end.
/// </summary>
internal sealed class BalancerMetrics : IDisposable
{
    private const string TenantTag = "tenant";

    /// <summary>Read once: it cannot change, and reading it means a Process object and, on Linux, /proc.</summary>
    private static readonly Lazy<double> ProcessStartSeconds = new(() =>
    {
        using var process = Process.GetCurrentProcess();
        return new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
    });

    private readonly IMetricsSource _source;
    private readonly RejectionCounters _rejections;
    private readonly OutcomeCounters _reloads;
    private readonly OutcomeCounters _upgrades;
    private readonly Histogram<double> _connectSeconds;
    private readonly Histogram<double> _durationSeconds;
    private readonly Histogram<double> _firstByteSeconds;
    private readonly Histogram<double> _maxGapSeconds;
    private readonly Dictionary<string, (long ClientToBackend, long BackendToClient)> _lastBytes = new(StringComparer.Ordinal);

    public BalancerMetrics(IMetricsSource source, RejectionCounters rejections, OutcomeCounters reloads, OutcomeCounters upgrades)
    {
        _source = source;
        _rejections = rejections;
        _reloads = reloads;
        _upgrades = upgrades;
        var version = typeof(BalancerMetrics).Assembly.GetName().Version?.ToString(3);
        Meter = new Meter(new MeterOptions(MetricNames.MeterName) { Version = version });

        Meter.CreateObservableGauge(MetricNames.ConnectionsActive, ObserveActive,
            description: "Connections open to a backend, by tenant.");
        Meter.CreateObservableCounter(MetricNames.ConnectionsTotal, ObserveTotal,
            description: "Connections admitted to a tenant (a backend connect succeeded); rejections are counted apart.");
        Meter.CreateObservableCounter(MetricNames.ConnectionsRejected, ObserveRejections,
            description: "Connections closed before reaching a backend, by listener, tenant (empty if unknown) and reason.");
        Meter.CreateObservableCounter(MetricNames.Bytes, ObserveBytes,
            description: "Bytes relayed, by tenant and direction; includes what open connections have moved so far.");
        Meter.CreateObservableGauge(MetricNames.BackendUp, ObserveBackendUp,
            description: "1 if the backend is up (healthy), 0 if down by its checks, its agent or DNS.");
        Meter.CreateObservableGauge(MetricNames.BackendLastChange, ObserveBackendLastChange, unit: "s",
            description: "Unix time the backend last went up or down (HAProxy's lastchg); when it was first configured before that.");
        Meter.CreateObservableGauge(MetricNames.BackendConnectionsActive, ObserveBackendActive,
            description: "Connections open to the backend.");
        Meter.CreateObservableCounter(MetricNames.BackendConnectFailures, ObserveBackendFailures,
            description: "Failed connects to the backend (refused, unreachable, connect_timeout).");
        Meter.CreateObservableCounter(MetricNames.BackendConnectionsTotal, ObserveBackendTotal,
            description: "Connections relayed through the backend (its connect succeeded); per tenant they sum to l4lb_connections_total.");
        Meter.CreateObservableCounter(MetricNames.BackendBytes, ObserveBackendBytes,
            description: "Bytes relayed through the backend, by direction; includes what open connections have moved so far.");
        Meter.CreateObservableGauge(MetricNames.BackendReportedLoad, ObserveBackendReportedLoad,
            description: "The load the backend reports ([tenant.feedback] source = \"prometheus\"), only while its report is fresh.");
        Meter.CreateObservableGauge(MetricNames.BackendReportAgeSeconds, ObserveBackendReportAge, unit: "s",
            description: "Seconds since the backend's last load report ([tenant.feedback]).");
        Meter.CreateObservableGauge(MetricNames.TenantQueued, () => _source.Queues().Select(q => new Measurement<int>(q.Value, Tenant(q.Key))),
            description: "Connections waiting in the balancer for a backend slot (tenants with queue_timeout only).");
        Meter.CreateObservableCounter(MetricNames.ConfigReloads, ObserveReloads,
            description: "Config reloads by result.");
        Meter.CreateObservableCounter(MetricNames.Upgrades, ObserveUpgrades,
            description: "Binary upgrades (SIGUSR2) by result, including those of the processes this one took over from.");
        Meter.CreateObservableGauge(MetricNames.BuildInfo, ObserveBuildInfo,
            description: "Always 1; the labels say which version, commit and .NET runtime are running.");
        Meter.CreateObservableGauge<int>(MetricNames.ClusterRedisUp, () => _source.Fleet() is { } f ? [new Measurement<int>(f.RedisUp ? 1 : 0)] : [],
            description: "[cluster] only: 1 while this instance's syncs with Redis succeed, 0 while they fail.");
        Meter.CreateObservableGauge<int>(MetricNames.ClusterInstances, () => _source.Fleet() is { } f ? [new Measurement<int>(f.Instances)] : [],
            description: "[cluster] only: live members of the fleet at the last successful sync (an upgrading instance counts twice).");
        Meter.CreateObservableGauge(MetricNames.ClusterConnectionShare, ObserveConnectionShares,
            description: "[cluster] only: connections of the tenant's fleet-wide max_connections this instance may hold now (its lease, or the fallback share).");
        Meter.CreateObservableGauge(MetricNames.ClusterRateShare, ObserveRateShares,
            description: "[cluster] only: new connections per second of the tenant's fleet-wide connection_rate this instance may admit now.");
        Meter.CreateObservableGauge(MetricNames.ProcessStartTimeSeconds, ObserveProcessStart, unit: "s",
            description: "Start time of the process since the Unix epoch, in seconds; it changes when an upgrade hands over to a new process.");
        Meter.CreateObservableGauge<long>(MetricNames.ProcessResidentMemoryBytes, () => Optional(ProcessFigures.ResidentMemoryBytes()),
            description: "Resident memory size in bytes.");
        Meter.CreateObservableCounter(MetricNames.ProcessCpuSecondsTotal, ProcessFigures.CpuSeconds, unit: "s",
            description: "Total user and system CPU time spent in seconds.");
        Meter.CreateObservableGauge<long>(MetricNames.ProcessOpenFds, () => Optional(ProcessFigures.OpenDescriptors()),
            description: "Number of open file descriptors (at the limit when none is left to count them with).");
        Meter.CreateObservableGauge<long>(MetricNames.ProcessMaxFds, () => Optional(ProcessFigures.MaxDescriptors()),
            description: "Maximum number of open file descriptors (the soft RLIMIT_NOFILE).");

        _connectSeconds = Meter.CreateHistogram(MetricNames.BackendConnectSeconds, unit: "s",
            description: "Time to establish a successful backend connect.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.ConnectBuckets });
        _durationSeconds = Meter.CreateHistogram(MetricNames.ConnectionDurationSeconds, unit: "s",
            description: "Lifetime of connections admitted to a tenant, from accept to close.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.DurationBuckets });
        _firstByteSeconds = Meter.CreateHistogram(MetricNames.BackendFirstByteSeconds, unit: "s",
            description: "Time from the backend connect to the backend's first byte; connections whose backend sent nothing are not observed.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.FirstByteBuckets });
        _maxGapSeconds = Meter.CreateHistogram(MetricNames.BackendMaxGapSeconds, unit: "s",
            description: "Longest silence of the backend between two of its reads, observed at close; a backend that sent nothing: connect to close.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricNames.MaxGapBuckets });
    }

    public Meter Meter { get; }

    /// <summary>A backend connect succeeded after <paramref name="elapsed"/>. A single tag in a struct: no allocation.</summary>
    public void RecordConnect(string tenant, TimeSpan elapsed) =>
        _connectSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(TenantTag, tenant));

    /// <summary>A session admitted to <paramref name="tenant"/> ended after <paramref name="elapsed"/>.</summary>
    public void RecordSession(string tenant, TimeSpan elapsed) =>
        _durationSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(TenantTag, tenant));

    /// <summary>The backend's first byte came <paramref name="seconds"/> after its connect. Two tags in structs: no allocation.</summary>
    public void RecordFirstByte(string tenant, string backend, double seconds) =>
        _firstByteSeconds.Record(seconds, Tenant(tenant), Backend(backend));

    /// <summary>A session with a backend ended; its backend's longest silence was <paramref name="seconds"/>.</summary>
    public void RecordMaxGap(string tenant, string backend, double seconds) =>
        _maxGapSeconds.Record(seconds, Tenant(tenant), Backend(backend));

    /// <summary>
    /// Bytes per tenant, finished sessions plus the live ones, so a minutes-long stream shows progress
    /// before it ends. Never smaller than the previous answer (a Prometheus counter that goes down reads
    /// as a restart): in the instant a session moves its bytes from "live" to its tenant's total, a
    /// reader may miss them for one collection, and the previous, higher figure stands in.
    /// </summary>
    public IReadOnlyList<TenantBytes> TenantBytes()
    {
        // Totals first, then live sessions: a session marks its bytes published before adding them to
        // the totals, so a reader that saw them in the totals also sees the mark and skips the session.
        var sums = new Dictionary<string, (long ClientToBackend, long BackendToClient)>(StringComparer.Ordinal);
        foreach (var (tenant, counters) in _source.TenantCounters)
        {
            sums[tenant] = (counters.BytesClientToBackend, counters.BytesBackendToClient);
        }

        foreach (var live in _source.LiveBytes())
        {
            sums.TryGetValue(live.Tenant, out var sum);
            sums[live.Tenant] = (sum.ClientToBackend + live.ClientToBackend, sum.BackendToClient + live.BackendToClient);
        }

        var result = new List<TenantBytes>(sums.Count);
        lock (_lastBytes)
        {
            foreach (var (tenant, sum) in sums)
            {
                _lastBytes.TryGetValue(tenant, out var last);
                var now = (Math.Max(sum.ClientToBackend, last.ClientToBackend), Math.Max(sum.BackendToClient, last.BackendToClient));
                _lastBytes[tenant] = now;
                result.Add(new TenantBytes(tenant, now.Item1, now.Item2));
            }
        }

        return result;
    }

    private IEnumerable<Measurement<long>> ObserveActive() =>
        _source.TenantCounters.Select(t => new Measurement<long>(t.Value.Active, Tenant(t.Key)));

    private IEnumerable<Measurement<long>> ObserveTotal() =>
        _source.TenantCounters.Select(t => new Measurement<long>(t.Value.Total, Tenant(t.Key)));

    private IEnumerable<Measurement<long>> ObserveRejections() =>
        _rejections.Snapshot().Select(r => new Measurement<long>(r.Count,
            new KeyValuePair<string, object?>("listener", r.Listener),
            new KeyValuePair<string, object?>(TenantTag, r.Tenant),
            new KeyValuePair<string, object?>("reason", r.Reason.ToWireName())));

    private IEnumerable<Measurement<long>> ObserveBytes()
    {
        foreach (var bytes in TenantBytes())
        {
            yield return new Measurement<long>(bytes.ClientToBackend, Tenant(bytes.Tenant), Direction(MetricNames.DirectionClientToBackend));
            yield return new Measurement<long>(bytes.BackendToClient, Tenant(bytes.Tenant), Direction(MetricNames.DirectionBackendToClient));
        }
    }

    /// <summary>
    /// Bytes per backend of the serving config: finished sessions (its counters) plus the live ones, as
    /// <see cref="TenantBytes"/> counts a tenant's, kept from going down by the backend's own counters.
    /// </summary>
    private IEnumerable<Measurement<long>> ObserveBackendBytes()
    {
        var live = new Dictionary<BackendCounters, (long ClientToBackend, long BackendToClient)>(ReferenceEqualityComparer.Instance);
        var backends = _source.Backends().ToList(); // finished totals first, then live sessions (see TenantBytes)
        var totals = backends.Select(b => (b.Counters.BytesClientToBackend, b.Counters.BytesBackendToClient)).ToList();
        foreach (var session in _source.LiveBytes())
        {
            live.TryGetValue(session.Backend, out var sum);
            live[session.Backend] = (sum.ClientToBackend + session.ClientToBackend, sum.BackendToClient + session.BackendToClient);
        }

        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            live.TryGetValue(backend.Counters, out var open);
            var (clientToBackend, backendToClient) = backend.Counters.Report(totals[i].BytesClientToBackend + open.ClientToBackend, totals[i].BytesBackendToClient + open.BackendToClient);
            yield return new Measurement<long>(clientToBackend, Tenant(backend.Tenant), Backend(backend.Address), Direction(MetricNames.DirectionClientToBackend));
            yield return new Measurement<long>(backendToClient, Tenant(backend.Tenant), Backend(backend.Address), Direction(MetricNames.DirectionBackendToClient));
        }
    }

    private IEnumerable<Measurement<long>> ObserveBackendTotal() =>
        _source.Backends().Select(b => new Measurement<long>(b.Counters.Connections, Tenant(b.Tenant), Backend(b.Address)));

    private static Measurement<long>[] Optional(long? value) => value is { } v ? [new Measurement<long>(v)] : [];

    private IEnumerable<Measurement<int>> ObserveBackendUp() =>
        _source.Backends().Select(b => new Measurement<int>(b.IsUp ? 1 : 0, Tenant(b.Tenant), Backend(b.Address)));

    private IEnumerable<Measurement<int>> ObserveBackendActive() =>
        _source.Backends().Select(b => new Measurement<int>(b.ActiveConnections, Tenant(b.Tenant), Backend(b.Address)));

    private IEnumerable<Measurement<double>> ObserveBackendReportedLoad() =>
        _source.Backends().Where(b => b.ReportedLoad is not null).Select(b => new Measurement<double>(b.ReportedLoad!.Value, Tenant(b.Tenant), Backend(b.Address)));

    private IEnumerable<Measurement<double>> ObserveBackendLastChange() =>
        _source.Backends().Select(b => new Measurement<double>(b.LastChangeSeconds, Tenant(b.Tenant), Backend(b.Address)));

    private IEnumerable<Measurement<double>> ObserveBackendReportAge() =>
        _source.Backends().Where(b => b.ReportAgeSeconds is not null).Select(b => new Measurement<double>(b.ReportAgeSeconds!.Value, Tenant(b.Tenant), Backend(b.Address)));

    private IEnumerable<Measurement<long>> ObserveBackendFailures() =>
        _source.Backends().Select(b => new Measurement<long>(b.ConnectFailures, Tenant(b.Tenant), Backend(b.Address)));

    private IEnumerable<Measurement<int>> ObserveConnectionShares() =>
        _source.Fleet() is { } f
            ? f.Shares.Where(s => s.ConnectionCap is not null).Select(s => new Measurement<int>(s.ConnectionCap!.Value, Tenant(s.Tenant)))
            : [];

    private IEnumerable<Measurement<double>> ObserveRateShares() =>
        _source.Fleet() is { } f
            ? f.Shares.Where(s => s.RateShare is not null).Select(s => new Measurement<double>(s.RateShare!.Value, Tenant(s.Tenant)))
            : [];

    private IEnumerable<Measurement<long>> ObserveReloads() => Outcomes(_reloads.Ok, _reloads.Error);

    private IEnumerable<Measurement<long>> ObserveUpgrades() => Outcomes(_upgrades.Ok, _upgrades.Error);

    private static Measurement<long>[] Outcomes(long ok, long error) =>
    [
        new Measurement<long>(ok, new KeyValuePair<string, object?>("result", "ok")),
        new Measurement<long>(error, new KeyValuePair<string, object?>("result", "error")),
    ];

    private static Measurement<int> ObserveBuildInfo()
    {
        var build = BuildInfo.Current;
        return new Measurement<int>(1,
            new KeyValuePair<string, object?>("version", build.Version),
            new KeyValuePair<string, object?>("commit", build.Commit),
            new KeyValuePair<string, object?>("runtime", build.Runtime));
    }

    private static double ObserveProcessStart() => ProcessStartSeconds.Value;

    private static KeyValuePair<string, object?> Tenant(string name) => new(TenantTag, name);

    private static KeyValuePair<string, object?> Backend(string address) => new("backend", address);

    private static KeyValuePair<string, object?> Direction(string direction) => new("direction", direction);

    public void Dispose() => Meter.Dispose();
}
