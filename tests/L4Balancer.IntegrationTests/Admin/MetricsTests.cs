using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using L4Balancer.Core.Config;
using L4Balancer.Core.Net;
using L4Balancer.Core.Telemetry;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary><c>/metrics</c> after real traffic: every figure is what the test did (SPEC "Metrics").</summary>
public class MetricsTests
{
    private const int Reply = 777;

    private static readonly string[] StandardProcessMetrics =
        ["process_start_time_seconds", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds", "process_max_fds"];

    /// <summary>Reads until the client's FIN, then answers a fixed <see cref="Reply"/> bytes and closes: the two directions differ.</summary>
    private static Task ReplyAfterEofAsync(Socket socket) => ReplyAfterEofAsync(socket, new StrongBox<long>());

    /// <summary>The same, adding every byte it received to <paramref name="received"/> (one box per backend).</summary>
    private static async Task ReplyAfterEofAsync(Socket socket, StrongBox<long> received)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            Interlocked.Add(ref received.Value, read);
        }

        await socket.SendAsync(new byte[Reply], SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>
    /// "main" → t1 (two backends); "denied" → t2, whose allow list excludes 127.0.0.1; "dead" → t3, whose
    /// only backend refuses; "tls" routes by SNI with no fallback tenant, so plain text is <c>not_tls</c>
    /// before any tenant is known.
    /// </summary>
    private static BalancerConfig Scenario(TestBackend a, TestBackend b, IPEndPoint dead)
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        return new BalancerConfig
        {
            Listeners =
            [
                new ListenerConfig { Name = "main", Bind = loopback, Tenant = "t1" },
                new ListenerConfig { Name = "denied", Bind = loopback, Tenant = "t2" },
                new ListenerConfig { Name = "dead", Bind = loopback, Tenant = "t3" },
                new ListenerConfig { Name = "tls", Bind = loopback, Route = RouteMode.Sni },
            ],
            Tenants =
            [
                new TenantConfig { Name = "t1", Sni = ["t1.example"], Backends = [TestConfigs.Backend(a), TestConfigs.Backend(b)] },
                new TenantConfig { Name = "t2", Allow = [IpPrefix.Parse("10.0.0.0/8")], Backends = [TestConfigs.Backend(a)] },
                new TenantConfig { Name = "t3", Retries = 0, Backends = [TestConfigs.Backend(dead)] },
            ],
        };
    }

    [Fact]
    public async Task Counters_match_the_connections_bytes_and_rejections_the_test_made()
    {
        StrongBox<long> receivedByA = new(), receivedByB = new();
        await using var a = TestBackend.Start(s => ReplyAfterEofAsync(s, receivedByA));
        await using var b = TestBackend.Start(s => ReplyAfterEofAsync(s, receivedByB));
        var dead = TestConfigs.ClosedPort();
        await using var admin = await AdminHarness.StartAsync(Scenario(a, b, dead));
        var balancer = admin.Balancer;

        int[] sizes = [1000, 2500, 40_000, 1, 123_456];
        foreach (var size in sizes)
        {
            using var client = await balancer.ConnectAsync("main");
            await client.SendAllAsync(new byte[size], Deadline.After());
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(Reply, (await client.ReadToEndAsync(Deadline.After())).Length);
        }

        for (var i = 0; i < 2; i++)
        {
            using var denied = await balancer.ConnectAsync("denied");
            Assert.Equal(SocketError.Success, await denied.WaitForCloseAsync(Deadline.After()));
        }

        using (var toDead = await balancer.ConnectAsync("dead"))
        {
            Assert.Equal(SocketError.Success, await toDead.WaitForCloseAsync(Deadline.After()));
        }

        using (var plain = await balancer.ConnectAsync("tls"))
        {
            await plain.SendTextAsync("GET / HTTP/1.1\r\n\r\n", Deadline.After());
            await plain.WaitForCloseAsync(Deadline.After());
        }

        // Histograms are recorded as each session finishes its bookkeeping, just after the client saw the close.
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, because: "every session finished");
        var metrics = await admin.ScrapeAsync();

        Assert.Equal(sizes.Length, metrics.Get("l4lb_connections_total", ("tenant", "t1")));
        Assert.Equal(0, metrics.Get("l4lb_connections_total", ("tenant", "t2")));
        Assert.Equal(0, metrics.Get("l4lb_connections_total", ("tenant", "t3")));
        Assert.Equal(0, metrics.Get("l4lb_connections_active", ("tenant", "t1")));
        Assert.Equal(sizes.Sum(), metrics.Get("l4lb_bytes_total", ("tenant", "t1"), ("direction", "client_to_backend")));
        Assert.Equal(sizes.Length * Reply, metrics.Get("l4lb_bytes_total", ("tenant", "t1"), ("direction", "backend_to_client")));

        Assert.Equal(2, metrics.Get("l4lb_connections_rejected_total", ("listener", "denied"), ("tenant", "t2"), ("reason", "ip_denied")));
        Assert.Equal(1, metrics.Get("l4lb_connections_rejected_total", ("listener", "dead"), ("tenant", "t3"), ("reason", "no_backend")));
        Assert.Equal(1, metrics.Get("l4lb_connections_rejected_total", ("listener", "tls"), ("tenant", ""), ("reason", "not_tls")));
        Assert.Null(metrics.Find("l4lb_connections_rejected_total", ("listener", "main"), ("tenant", "t1"), ("reason", "no_backend")));

        Assert.Equal(1, metrics.Get("l4lb_backend_connect_failures_total", ("tenant", "t3"), ("backend", dead.ToString())));
        Assert.Equal(0, metrics.Get("l4lb_backend_connect_failures_total", ("tenant", "t1"), ("backend", a.Address)));
        Assert.Equal(1, metrics.Get("l4lb_backend_up", ("tenant", "t1"), ("backend", a.Address)));
        Assert.Equal(1, metrics.Get("l4lb_backend_up", ("tenant", "t1"), ("backend", b.Address)));
        Assert.Equal(0, metrics.Get("l4lb_backend_connections_active", ("tenant", "t1"), ("backend", b.Address)));

        // Per backend (issue 17): each backend's connections and bytes are what it saw itself, and per
        // tenant they add up to the tenant's figures. (Which backend took which connection is the picker's
        // business; the backends count for themselves.)
        Assert.Equal(sizes.Length, a.Total + b.Total);
        Assert.True(a.Total > 0 && b.Total > 0, $"least connections spreads five sequential connections over both backends ({a.Total}, {b.Total})");
        foreach (var (backend, received) in new[] { (a, receivedByA), (b, receivedByB) })
        {
            Assert.Equal(backend.Total, metrics.Get("l4lb_backend_connections_total", ("tenant", "t1"), ("backend", backend.Address)));
            Assert.Equal(received.Value, metrics.Get("l4lb_backend_bytes_total", ("tenant", "t1"), ("backend", backend.Address), ("direction", "client_to_backend")));
            Assert.Equal(backend.Total * Reply, metrics.Get("l4lb_backend_bytes_total", ("tenant", "t1"), ("backend", backend.Address), ("direction", "backend_to_client")));
        }

        Assert.Equal(sizes.Sum(), receivedByA.Value + receivedByB.Value);
        Assert.Equal(0, metrics.Get("l4lb_backend_connections_total", ("tenant", "t2"), ("backend", a.Address)));
        Assert.Equal(0, metrics.Get("l4lb_backend_connections_total", ("tenant", "t3"), ("backend", dead.ToString())));
        Assert.Equal(0, metrics.Get("l4lb_backend_bytes_total", ("tenant", "t3"), ("backend", dead.ToString()), ("direction", "client_to_backend")));

        // The process figures, Prometheus' standard names: plausible for this (test) process.
        var openFds = metrics.Get("process_open_fds");
        var maxFds = metrics.Get("process_max_fds");
        Assert.InRange(openFds, 3, maxFds);
        Assert.Equal(ProcFs.OpenFilesLimit(Environment.ProcessId).Soft, (long)maxFds);
        Assert.InRange(metrics.Get("process_resident_memory_bytes"), 10 * 1024 * 1024, 64L * 1024 * 1024 * 1024);
        Assert.InRange(metrics.Get("process_cpu_seconds_total"), 0.01, Environment.ProcessorCount * (DateTimeOffset.UtcNow.ToUnixTimeSeconds() - metrics.Get("process_start_time_seconds") + 1));

        // One connect and one duration observation per admitted connection, none for rejections.
        Assert.Equal(sizes.Length, metrics.Get("l4lb_backend_connect_seconds_count", ("tenant", "t1")));
        Assert.Equal(sizes.Length, metrics.Get("l4lb_backend_connect_seconds_bucket", ("tenant", "t1"), ("le", "+Inf")));
        Assert.Equal(sizes.Length, metrics.Get("l4lb_connection_duration_seconds_count", ("tenant", "t1")));
        Assert.InRange(metrics.Get("l4lb_connection_duration_seconds_sum", ("tenant", "t1")), 1e-6, 60);
        Assert.Null(metrics.Find("l4lb_connection_duration_seconds_count", ("tenant", "t3")));

        Assert.Equal(0, metrics.Get("l4lb_config_reloads_total", ("result", "ok")));
        Assert.Equal(0, metrics.Get("l4lb_config_reloads_total", ("result", "error")));
        Assert.Equal(0, metrics.Get("l4lb_upgrades_total", ("result", "ok")));
        Assert.Equal(0, metrics.Get("l4lb_upgrades_total", ("result", "error")));

        var build = BuildInfo.Current;
        Assert.All(new[] { build.Version, build.Commit, build.Runtime }, label => Assert.False(string.IsNullOrWhiteSpace(label)));
        Assert.Equal(Program.Version, build.Version);
        Assert.Equal(1, metrics.Get("l4lb_build_info", ("version", build.Version), ("commit", build.Commit), ("runtime", build.Runtime)));

        // The engine runs in this test process, which may have been running the suite for many minutes:
        // compare with its own start time (from /proc, like the metric), not with "now".
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var started = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0;
        var startMetric = metrics.Get("process_start_time_seconds");
        Assert.InRange(startMetric, started - 1, started + 1);
        Assert.InRange(startMetric, DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());

        // SPEC's names and types, nothing renamed or suffixed by the exporter.
        Assert.Equal("gauge", metrics.TypeOf("l4lb_connections_active"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_connections_total"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_connections_rejected_total"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_bytes_total"));
        Assert.Equal("gauge", metrics.TypeOf("l4lb_backend_up"));
        Assert.Equal("gauge", metrics.TypeOf("l4lb_backend_connections_active"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_backend_connect_failures_total"));
        Assert.Equal("histogram", metrics.TypeOf("l4lb_backend_connect_seconds"));
        Assert.Equal("histogram", metrics.TypeOf("l4lb_connection_duration_seconds"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_config_reloads_total"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_upgrades_total"));
        Assert.Equal("gauge", metrics.TypeOf("l4lb_build_info"));
        Assert.Equal("gauge", metrics.TypeOf("process_start_time_seconds"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_backend_connections_total"));
        Assert.Equal("counter", metrics.TypeOf("l4lb_backend_bytes_total"));
        Assert.Equal("gauge", metrics.TypeOf("process_resident_memory_bytes"));
        Assert.Equal("counter", metrics.TypeOf("process_cpu_seconds_total"));
        Assert.Equal("gauge", metrics.TypeOf("process_open_fds"));
        Assert.Equal("gauge", metrics.TypeOf("process_max_fds"));

        // Ours are prefixed; the standard process metrics keep the names every Prometheus user knows.
        Assert.All(metrics.Names.Where(n => !StandardProcessMetrics.Contains(n)), name => Assert.StartsWith("l4lb_", name));
    }

    [Fact]
    public async Task Bytes_of_an_open_connection_show_before_it_ends_and_are_not_counted_twice_after()
    {
        await using var backend = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(backend));
        using var client = await admin.Balancer.ConnectAsync();

        // A long stream in progress: 5000 bytes each way so far, and the connection stays open.
        await client.SendAllAsync(new byte[5000], Deadline.After());
        var echoed = 0;
        var buffer = new byte[8192];
        while (echoed < 5000)
        {
            echoed += await client.ReceiveAsync(buffer, SocketFlags.None, Deadline.After());
        }

        var live = await admin.ScrapeAsync();
        Assert.Equal(1, live.Get("l4lb_connections_active", ("tenant", TestConfigs.TenantName)));
        Assert.Equal(5000, live.Get("l4lb_bytes_total", ("tenant", TestConfigs.TenantName), ("direction", "client_to_backend")));
        Assert.Equal(5000, live.Get("l4lb_bytes_total", ("tenant", TestConfigs.TenantName), ("direction", "backend_to_client")));
        Assert.Equal(5000, live.Get("l4lb_backend_bytes_total", ("tenant", TestConfigs.TenantName), ("backend", backend.Address), ("direction", "client_to_backend")));
        Assert.Equal(5000, live.Get("l4lb_backend_bytes_total", ("tenant", TestConfigs.TenantName), ("backend", backend.Address), ("direction", "backend_to_client")));
        Assert.Equal(1, live.Get("l4lb_backend_connections_total", ("tenant", TestConfigs.TenantName), ("backend", backend.Address)));

        client.Shutdown(SocketShutdown.Send);
        await client.WaitForCloseAsync(Deadline.After());
        await Deadline.UntilAsync(() => admin.Balancer.Engine.Connections.Count == 0);

        var after = await admin.ScrapeAsync();
        Assert.Equal(0, after.Get("l4lb_connections_active", ("tenant", TestConfigs.TenantName)));
        Assert.Equal(5000, after.Get("l4lb_bytes_total", ("tenant", TestConfigs.TenantName), ("direction", "client_to_backend")));
        Assert.Equal(5000, after.Get("l4lb_bytes_total", ("tenant", TestConfigs.TenantName), ("direction", "backend_to_client")));
        Assert.Equal(5000, after.Get("l4lb_backend_bytes_total", ("tenant", TestConfigs.TenantName), ("backend", backend.Address), ("direction", "client_to_backend")));
        Assert.Equal(5000, after.Get("l4lb_backend_bytes_total", ("tenant", TestConfigs.TenantName), ("backend", backend.Address), ("direction", "backend_to_client")));
    }

    [Fact]
    public async Task OpenMetrics_negotiation_keeps_the_sample_names()
    {
        await using var backend = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(backend));
        using (var client = await admin.Balancer.ConnectAsync())
        {
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        // What a Prometheus server asks for first.
        using var request = AdminHarness.Authorized(HttpMethod.Get, "/metrics");
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text; version=1.0.0"));
        using var response = await admin.Http.SendAsync(request, Deadline.After());
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("application/openmetrics-text", response.Content.Headers.ContentType?.ToString());
        Assert.Contains($"l4lb_connections_total{{tenant=\"{TestConfigs.TenantName}\"}} 1", body);
        Assert.Contains("l4lb_upgrades_total{result=\"ok\"} 0", body);
        Assert.Contains("\nl4lb_build_info{", body);
        Assert.Contains("\nprocess_start_time_seconds", body);
        Assert.EndsWith("# EOF\n", body);
    }

    [Fact]
    public async Task Any_MeterListener_sees_the_instruments_by_name_with_their_tags()
    {
        // What dotnet-counters and an OpenTelemetry SDK subscribe to: the "L4Balancer" meter, no exporter involved.
        await using var backend = TestBackend.Echo();
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend));
        var meter = balancer.Engine.Metrics.Meter;
        var seen = new List<(string Name, long Value, string Tags)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            seen.Add((instrument.Name, value, string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}")))));
        listener.Start();

        using (var client = await balancer.ConnectAsync())
        {
            await client.SendTextAsync("abc\n", Deadline.After());
            Assert.Equal("abc", await client.ReadLineAsync(Deadline.After()));
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0);
        listener.RecordObservableInstruments();

        Assert.Equal("L4Balancer", meter.Name);
        Assert.Contains(("l4lb_connections_total", 1L, "tenant=t1"), seen);
        Assert.Contains(("l4lb_bytes_total", 4L, "tenant=t1,direction=client_to_backend"), seen);
        Assert.Contains(("l4lb_bytes_total", 4L, "tenant=t1,direction=backend_to_client"), seen);
        Assert.Contains(("l4lb_config_reloads_total", 0L, "result=ok"), seen);
    }

    /// <summary>The shipped Grafana dashboard and alert rules, read as the repository has them.</summary>
    private static string DashboardPath => Path.Combine(RepoPaths.Root, "deploy", "grafana", "l4balancer.json");

    private static string RulesPath => Path.Combine(RepoPaths.Root, "deploy", "prometheus", "l4balancer.rules.yml");

    /// <summary>A scrape with every kind of series present: admitted traffic on both t1 backends, rejections, a dead backend.</summary>
    private static async Task<PrometheusText> ScrapeAfterTrafficAsync(AdminHarness admin)
    {
        foreach (var listener in new[] { "main", "main", "denied", "dead", "tls" })
        {
            using var client = await admin.Balancer.ConnectAsync(listener);
            await client.SendTextAsync("x", Deadline.After());
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => admin.Balancer.Engine.Connections.Count == 0);
        return await admin.ScrapeAsync();
    }

    [Fact]
    public async Task The_grafana_dashboard_and_the_alert_rules_read_only_series_the_balancer_exports()
    {
        // The reader must see a series name, and only that, or this test could never fail.
        Assert.Equal(["l4lb_nope_total"], PromQl.SeriesIn("sum by (tenant, le) (rate(l4lb_nope_total{job=~\"$job\",le=\"1\"}[$__rate_interval])) > 0"));
        Assert.Equal(["l4lb_build_info"], PromQl.SeriesIn("label_values(l4lb_build_info{job=~\"$job\"}, instance)"));
        Assert.Equal(["process_open_fds", "process_max_fds", "l4lb_build_info"], PromQl.SeriesIn("(process_open_fds / process_max_fds > 0.8) and on (job, instance) l4lb_build_info"));

        await using var a = TestBackend.Start(ReplyAfterEofAsync);
        await using var b = TestBackend.Start(ReplyAfterEofAsync);
        await using var admin = await AdminHarness.StartAsync(Scenario(a, b, TestConfigs.ClosedPort()));
        var exported = (await ScrapeAfterTrafficAsync(admin)).Names.ToHashSet(StringComparer.Ordinal);

        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(DashboardPath));
        var panelExpressions = PromQl.DashboardExpressions(dashboard.RootElement);
        var ruleExpressions = PromQl.RuleExpressions(await File.ReadAllTextAsync(RulesPath));
        Assert.True(panelExpressions.Count >= 20, $"only {panelExpressions.Count} expressions read from the dashboard");
        Assert.Equal(6, ruleExpressions.Count);

        foreach (var expression in panelExpressions.Concat(ruleExpressions))
        {
            var series = PromQl.SeriesIn(expression);
            Assert.True(series.Count > 0, $"no series in: {expression}");
            Assert.All(series, name => Assert.True(exported.Contains(name), $"\"{name}\" is not exported by the balancer (in: {expression})"));
        }

        // The series issue 17 added are on the dashboard.
        var used = panelExpressions.SelectMany(PromQl.SeriesIn).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(StringComparer.Ordinal)
        {
            "l4lb_backend_connections_total", "l4lb_backend_bytes_total", "process_resident_memory_bytes",
            "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
        }, used);
    }

    [PromtoolFact]
    public async Task The_grafana_dashboard_expressions_are_valid_promql()
    {
        // promtool parses each one as a recording rule (Grafana's variables replaced by plain values).
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(DashboardPath));
        var expressions = PromQl.DashboardExpressions(dashboard.RootElement).Where(e => !e.StartsWith("label_values(", StringComparison.Ordinal)).ToList();
        var rules = new System.Text.StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (var i = 0; i < expressions.Count; i++)
        {
            rules.Append(System.Globalization.CultureInfo.InvariantCulture, $"      - record: dashboard:panel{i}\n        expr: '{PromQl.WithoutGrafanaVariables(expressions[i]).Replace("'", "''", StringComparison.Ordinal)}'\n");
        }

        var path = Path.Combine(Path.GetTempPath(), $"l4b-dashboard-{Guid.NewGuid():N}.rules.yml");
        await File.WriteAllTextAsync(path, rules.ToString());
        try
        {
            var (code, output, errors) = await ExternalTool.RunAsync(PromtoolFactAttribute.Path!, ["check", "rules", path]);
            Assert.True(code == 0, $"promtool exit {code}:\n{output}\n{errors}\n--- rules ---\n{rules}");
            Assert.Contains($"SUCCESS: {expressions.Count} rules found", output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [PromtoolFact]
    public async Task Output_passes_promtool_check_metrics()
    {
        await using var a = TestBackend.Start(ReplyAfterEofAsync);
        await using var b = TestBackend.Start(ReplyAfterEofAsync);
        await using var admin = await AdminHarness.StartAsync(Scenario(a, b, TestConfigs.ClosedPort()));
        foreach (var listener in new[] { "main", "denied", "dead", "tls" })
        {
            using var client = await admin.Balancer.ConnectAsync(listener);
            await client.SendTextAsync("x", Deadline.After());
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => admin.Balancer.Engine.Connections.Count == 0);
        var text = await admin.GetStringAsync("/metrics");
        Assert.Contains("l4lb_connections_rejected_total{", text); // rejections present, so their series are checked too
        // Issue 17's series are in what promtool checks: per backend, and the process figures.
        Assert.Contains("\nl4lb_backend_connections_total{", text);
        Assert.Contains("\nl4lb_backend_bytes_total{", text);
        Assert.All(StandardProcessMetrics, name => Assert.Contains($"\n{name}", text));

        var (code, output, errors) = await ExternalTool.RunAsync(PromtoolFactAttribute.Path!, ["check", "metrics"], stdin: text);

        Assert.True(code == 0, $"promtool exit {code}:\n{output}\n{errors}\n--- input ---\n{text}");
        Assert.Equal("", (output + errors).Trim());
    }
}
