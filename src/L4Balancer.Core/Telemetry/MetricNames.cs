namespace L4Balancer.Core.Telemetry;

/// <summary>SPEC "Metrics": the Prometheus names, used as the instrument names so no exporter has to rename anything.</summary>
internal static class MetricNames
{
    public const string MeterName = "L4Balancer";

    public const string ConnectionsActive = "l4lb_connections_active";
    public const string ConnectionsTotal = "l4lb_connections_total";
    public const string ConnectionsRejected = "l4lb_connections_rejected_total";
    public const string Bytes = "l4lb_bytes_total";
    public const string BackendUp = "l4lb_backend_up";
    public const string BackendConnectionsActive = "l4lb_backend_connections_active";
    public const string BackendConnectFailures = "l4lb_backend_connect_failures_total";
    public const string BackendConnectionsTotal = "l4lb_backend_connections_total";
    public const string BackendBytes = "l4lb_backend_bytes_total";
    public const string BackendConnectSeconds = "l4lb_backend_connect_seconds";
    public const string BackendReportedLoad = "l4lb_backend_reported_load";
    public const string TenantQueued = "l4lb_tenant_queued";
    public const string BackendReportAgeSeconds = "l4lb_backend_report_age_seconds";
    public const string BackendLastChange = "l4lb_backend_last_change_timestamp_seconds";
    public const string ConnectionDurationSeconds = "l4lb_connection_duration_seconds";
    public const string BackendFirstByteSeconds = "l4lb_backend_first_byte_seconds";
    public const string BackendMaxGapSeconds = "l4lb_backend_max_gap_seconds";
    public const string ConfigReloads = "l4lb_config_reloads_total";
    public const string Upgrades = "l4lb_upgrades_total";
    public const string BuildInfo = "l4lb_build_info";
    public const string ClusterRedisUp = "l4lb_cluster_redis_up";
    public const string ClusterInstances = "l4lb_cluster_instances";
    public const string ClusterConnectionShare = "l4lb_cluster_connection_share";
    public const string ClusterRateShare = "l4lb_cluster_rate_share";

    /// <summary>Prometheus's standard process metric, unprefixed so dashboards and alerts written for any exporter find it.</summary>
    public const string ProcessStartTimeSeconds = "process_start_time_seconds";

    /// <summary>Prometheus' standard process figures (client_golang's process collector), unprefixed for the same reason.</summary>
    public const string ProcessResidentMemoryBytes = "process_resident_memory_bytes";
    public const string ProcessCpuSecondsTotal = "process_cpu_seconds_total";
    public const string ProcessOpenFds = "process_open_fds";
    public const string ProcessMaxFds = "process_max_fds";

    public const string DirectionClientToBackend = "client_to_backend";
    public const string DirectionBackendToClient = "backend_to_client";

    /// <summary>
    /// Backend connects on a LAN take well under a millisecond; a slow or overloaded backend shows up in
    /// the tens to hundreds of milliseconds, and connect_timeout (default 5s) bounds the top.
    /// </summary>
    public static readonly double[] ConnectBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>
    /// Connection lifetimes run from a health probe's milliseconds to LLM streams of many minutes and
    /// keep-alive connections of an hour (idle_timeout defaults to 30m).
    /// </summary>
    public static readonly double[] DurationBuckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];

    /// <summary>
    /// Time to first byte of LLM streams: a warm gateway answers in 5–50 ms (headers before the first
    /// token), prefill of a long prompt takes hundreds of milliseconds to seconds, and a loaded backend's
    /// queue pushes the first token past 20 s (gpustack/gpustack#5709, issue 16); 120 s is about where
    /// clients give up. Finer below 1 s, where a healthy fleet lives.
    /// </summary>
    public static readonly double[] FirstByteBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];

    /// <summary>
    /// Longest silence inside a stream: tokens come every 10–50 ms at 20–100 tokens/s, so a healthy stream's
    /// longest gap sits in the tens of milliseconds; a batch preemption or a swap shows as 0.25–5 s, and a
    /// hung generation as tens of seconds up to 300 s (past that a client or idle_timeout has usually cut it).
    /// </summary>
    public static readonly double[] MaxGapBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
}
