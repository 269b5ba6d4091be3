using System.Globalization;
using System.Text;

namespace L4Balancer.Core.Config;

/// <summary>
/// What <c>l4balancer check</c> prints for a valid file: one line per listener, tenant and backend,
/// with the values as the balancer understood them (defaults filled in, names normalized), so an
/// operator can see what a key they left out means.
/// </summary>
internal static class ConfigSummary
{
    public static string Format(BalancerConfig config)
    {
        var text = new StringBuilder();
        var backends = config.Tenants.Sum(t => t.Backends.Count);
        Line(text, $"{Count(config.Listeners.Count, "listener")}, {Count(config.Tenants.Count, "tenant")}, {Count(backends, "backend")}");

        var global = config.Global;
        Line(text,
            $"global max_connections={Limit(global.MaxConnections)} max_connections_per_ip={Limit(global.MaxConnectionsPerIp)} " +
            $"max_pending_handshakes={Limit(global.MaxPendingHandshakes)} max_pending_handshakes_per_ip={Limit(global.MaxPendingHandshakesPerIp)} " +
            $"connect_timeout={Duration(global.ConnectTimeout)} idle_timeout={Duration(global.IdleTimeout)} " +
            $"client_hello_timeout={Duration(global.ClientHelloTimeout)} drain_timeout={Duration(global.DrainTimeout)} upgrade_timeout={Duration(global.UpgradeTimeout)} " +
            $"backlog={global.Backlog} access_log={(global.AccessLog ? "on" : "off")} log_level={LogLevelName(global.LogLevel)}{List(" deny=", global.Deny)}");

        Line(text, config.Admin is { } admin ? $"admin {admin.Listen} {AdminTokens(admin)}" : "admin off");
        foreach (var file in config.IncludedFiles)
        {
            Line(text, $"include {file}");
        }

        foreach (var listener in config.Listeners)
        {
            var tenant = listener.Tenant is null ? "" : listener.Route == RouteMode.Sni ? $" fallback={listener.Tenant}" : $" tenant={listener.Tenant}";
            var proxy = listener.AcceptProxy ? List(" accept_proxy trusted_proxies=", listener.TrustedProxies) : "";
            Line(text, $"listener {listener.Name} {listener.Bind} route={Name(listener.Route)}{tenant}{proxy}");
        }

        foreach (var tenant in config.Tenants)
        {
            var rate = tenant.ConnectionRate == 0 ? "unlimited" : $"{tenant.ConnectionRate}/s connection_burst={tenant.ConnectionBurst}";
            var bandwidth = tenant.Bandwidth == 0 ? "unlimited" : $"{ByteSizeParser.Format(tenant.Bandwidth)}/s";
            Line(text, $"tenant {tenant.Name}{List(" sni=", tenant.Sni)}{List(" allow=", tenant.Allow)}{List(" deny=", tenant.Deny)}");
            var queue = tenant.QueueTimeout <= TimeSpan.Zero ? "" : $" queue_timeout={Duration(tenant.QueueTimeout)} max_queue={Limit(tenant.MaxQueue)}";
            Line(text, $"  limits max_connections={Limit(tenant.MaxConnections)} connection_rate={rate} bandwidth={bandwidth}{queue}");
            var maglev = tenant.Balance != BalanceAlgorithm.Maglev ? "" :
                $" hash_key={Name(tenant.HashKey)} hash_table_size={tenant.HashTableSize} hash_balance_factor={(tenant.HashBalanceFactor == 0 ? "off" : tenant.HashBalanceFactor.ToString(CultureInfo.InvariantCulture))}";
            Line(text, $"  balance={Name(tenant.Balance)}{maglev} retries={tenant.Retries} proxy_protocol={Name(tenant.ProxyProtocol)}");
            Line(text, tenant.Health is { } h
                ? $"  health type={Name(h.Type)}{HealthDetail(h)} interval={Duration(h.Interval)} timeout={Duration(h.Timeout)} rise={h.Rise} fall={h.Fall}"
                : "  health passive only");
            if (tenant.Feedback is { } f)
            {
                var source = f.Source == FeedbackSource.Agent
                    ? $"agent agent_port={(f.AgentPort == 0 ? "per-backend" : f.AgentPort.ToString(CultureInfo.InvariantCulture))}{(f.AgentSend is null ? "" : " agent_send")}"
                    : $"prometheus metrics_url={f.MetricsUrl}{(f.Insecure ? " insecure" : "")} load={string.Join('+', f.Load.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Weight}*{t.Metric}{(t.Labels.Count == 0 ? "" : "{" + string.Join(',', t.Labels.Select(l => $"{l.Key}={l.Value}")) + "}")}")))}";
                Line(text, $"  feedback {source} interval={Duration(f.Interval)} timeout={Duration(f.Timeout)} stale_after={Duration(f.StaleAfter)}");
            }

            foreach (var backend in tenant.Backends)
            {
                // Show the resolved address only when the config named a host.
                var resolved = backend.EndPoint is not { } endPoint ? " (unresolved: starts down, check_status DNS)"
                    : string.Equals(backend.Address, endPoint.ToString(), StringComparison.Ordinal) ? "" : $" ({endPoint})";
                var agentPort = backend.AgentPort == 0 ? "" : $" agent_port={backend.AgentPort}";
                Line(text, $"  backend {backend.Address}{resolved} weight={backend.Weight} max_connections={Limit(backend.MaxConnections)}{agentPort}");
            }
        }

        return text.ToString();
    }

    /// <summary>What a tls or http check sends and expects, defaults filled in.</summary>
    private static string HealthDetail(HealthConfig health)
    {
        var detail = new StringBuilder();
        if (health.Type == HealthCheckType.Http)
        {
            detail.Append($" path={health.Path} host={health.Host ?? health.Sni ?? "(the backend's address)"} expect_status={health.ExpectStatus}");
            if (health.Tls)
            {
                detail.Append(" tls");
            }
        }

        if (health.UsesTls)
        {
            detail.Append($" sni={health.Sni ?? "(none)"} ca={health.Ca?.Path ?? "(not verified)"}");
        }

        return detail.ToString();
    }

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Limit(int value) => value == 0 ? "unlimited" : value.ToString(CultureInfo.InvariantCulture);

    private static string Duration(TimeSpan value) => DurationParser.Format(value);

    /// <summary>The level as <c>log_level</c> spells it.</summary>
    private static string LogLevelName(Microsoft.Extensions.Logging.LogLevel level) =>
        level == Microsoft.Extensions.Logging.LogLevel.Information ? "info" : level.ToString().ToLowerInvariant();

    private static string List<T>(string label, IReadOnlyList<T> items) =>
        items.Count == 0 ? "" : label + string.Join(',', items);

    /// <summary>Enum values spelled as in the config file (<c>LeastConnections</c> → <c>least_connections</c>).</summary>
    private static string Name<T>(T value)
        where T : struct, Enum => value switch
        {
            BalanceAlgorithm.LeastConnections => "least_connections",
            BalanceAlgorithm.RoundRobin => "round_robin",
            BalanceAlgorithm.PowerOfTwo => "power_of_two",
            BalanceAlgorithm.LeastLoad => "least_load",
            HashKey.ClientIp => "client_ip",
            _ => value.ToString().ToLowerInvariant(),
        };

    /// <summary>"tokens: 1 operate, 2 read": what a deploy check wants to see, never the secrets.</summary>
    private static string AdminTokens(AdminConfig admin)
    {
        var operate = admin.Tokens.Count(t => t.Scope == AdminScope.Operate);
        var read = admin.Tokens.Count - operate;
        return read == 0 ? $"tokens: {operate} operate" : $"tokens: {operate} operate, {read} read";
    }
}
