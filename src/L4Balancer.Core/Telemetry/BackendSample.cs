namespace L4Balancer.Core.Telemetry;

/// <summary>One backend's figures at collection time (<c>l4lb_backend_*</c>).</summary>
/// <param name="IsUp">Up as far as the checks and the backend's agent know.</param>
/// <param name="Counters">Its connections and finished sessions' bytes (<c>l4lb_backend_connections_total</c>, <c>l4lb_backend_bytes_total</c>).</param>
/// <param name="ReportedLoad">The reported load while the report is fresh (issue 16); null otherwise.</param>
/// <param name="ReportAgeSeconds">Seconds since the last report; null before the first (or without <c>[tenant.feedback]</c>).</param>
/// <param name="LastChangeSeconds">Unix time of the backend's last up/down change (issue 17); its creation before any.</param>
internal readonly record struct BackendSample(string Tenant, string Address, bool IsUp, int ActiveConnections, long ConnectFailures, BackendCounters Counters, double? ReportedLoad = null, double? ReportAgeSeconds = null, double LastChangeSeconds = 0);
