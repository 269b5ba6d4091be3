using System.Net;
using System.Text;
using System.Text.Json;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health.Feedback;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Metrics;

namespace L4Balancer.IntegrationTests.Feedback;

/// <summary>The Prometheus source against expositions served on loopback (issue 16).</summary>
public class PrometheusFeedbackTests
{
    private const string Vllm = VllmExposition.Text;

    private static readonly LoadTerm[] VllmLoad =
    [
        new() { Metric = "vllm:num_requests_waiting", Weight = 1.0 },
        new() { Metric = "vllm:kv_cache_usage_perc", Weight = 4.0 },
    ];

    private static FeedbackConfig Settings(string url, IReadOnlyList<LoadTerm> load, bool insecure = false, int intervalMs = 1000) => new()
    {
        Source = FeedbackSource.Prometheus,
        Interval = TimeSpan.FromMilliseconds(intervalMs),
        Timeout = TimeSpan.FromMilliseconds(intervalMs),
        StaleAfter = TimeSpan.FromMilliseconds(intervalMs * 3),
        MetricsUrl = url,
        Insecure = insecure,
        Load = load,
    };

    private static BackendState Backend(IPEndPoint endPoint) =>
        new("t", new BackendConfig { Address = endPoint.ToString(), EndPoint = endPoint });

    private static async Task<FeedbackPoll> PollAsync(TinyHttpServer server, IReadOnlyList<LoadTerm> load, string scheme = "http", bool insecure = false)
    {
        using var source = new PrometheusSource(Settings(scheme + "://{host}:{port}/metrics", load, insecure));
        return await source.PollAsync(Backend(server.EndPoint), Deadline.After(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_vllm_exposition_gives_waiting_plus_weighted_kv_cache()
    {
        await using var server = new TinyHttpServer();
        server.Respond(TinyHttpServer.Ok("text/plain; version=0.0.4; charset=utf-8", Vllm));

        var poll = await PollAsync(server, VllmLoad);

        Assert.True(poll.Succeeded, poll.Error);
        Assert.Equal(9.0 + 4.0 * (0.8125 + 0.25), poll.Load!.Value, 9);
        var request = Assert.Single(server.Requests);
        Assert.StartsWith("GET /metrics HTTP/1.1\r\n", request, StringComparison.Ordinal);
        Assert.Contains("application/openmetrics-text", request, StringComparison.Ordinal);
        Assert.Contains("text/plain", request, StringComparison.Ordinal);
        Assert.Contains($"Host: {server.EndPoint}", request, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain;version=0.0.4")]
    [InlineData("application/openmetrics-text;version=1.0.0")]
    public async Task The_products_own_metrics_from_opentelemetrys_exporter(string accept)
    {
        await using var backendA = TestBackend.Echo();
        await using var backendB = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(backendA, backendB));
        using var request = AdminHarness.Authorized(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd(accept);
        using var response = await admin.Http.SendAsync(request);
        var contentType = response.Content.Headers.ContentType!.ToString();
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains(accept.Split(';')[0], contentType, StringComparison.Ordinal);

        await using var server = new TinyHttpServer();
        server.Respond(TinyHttpServer.Ok(contentType, text));
        var poll = await PollAsync(server,
        [
            new() { Metric = "l4lb_backend_up", Weight = 10, Labels = new Dictionary<string, string> { ["tenant"] = TestConfigs.TenantName } },
            new() { Metric = "l4lb_backend_connections_active", Weight = 1 },
            new() { Metric = "l4lb_backend_up", Weight = 100, Labels = new Dictionary<string, string> { ["backend"] = backendB.Address } },
        ]);

        Assert.True(poll.Succeeded, poll.Error);
        Assert.Equal(10 * 2 + 0 + 100, poll.Load);
    }

    [Theory]
    [InlineData("vllm:num_requests_waiting{model_name=\"x\" 1\n", "line 1: expected ',' or '}' in the label set")]
    [InlineData("<html>502 Bad Gateway</html>\n", "line 1: expected a metric name")]
    [InlineData("vllm:num_requests_waiting 1\nvllm:kv_cache_usage_perc one\n", "line 2: \"one\" is not a number")]
    [InlineData("vllm:num_requests_waiting 1\n", "no series of vllm:kv_cache_usage_perc")]
    public async Task Malformed_payloads_fail_the_poll(string body, string error)
    {
        await using var server = new TinyHttpServer();
        server.Respond(TinyHttpServer.Ok("text/plain", body));

        var poll = await PollAsync(server, VllmLoad);

        Assert.EndsWith(error, poll.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_http_error_fails_the_poll()
    {
        await using var server = new TinyHttpServer();
        server.Respond(TinyHttpServer.Ok("text/plain", "starting"));
        server.Respond(TinyHttpServer.Raw(TinyHttpServer.Head(503, "text/plain", 0)));

        var poll = await PollAsync(server, VllmLoad);

        Assert.EndsWith(": HTTP 503", poll.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_payload_without_a_length_is_cut_at_4_MiB()
    {
        await using var server = new TinyHttpServer();
        var sent = 0L;
        server.Respond(async (stream, stop) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(TinyHttpServer.Head(200, "text/plain", null)), stop);
            var line = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("vllm:num_requests_waiting{pad=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"} 1\n", 200)));
            for (var i = 0; i < 10_000; i++)
            {
                await stream.WriteAsync(line, stop); // up to ~140 MB, unless the reader gives up first
                sent += line.Length;
            }
        });

        var poll = await PollAsync(server, VllmLoad);

        Assert.EndsWith("more than the 4194304 bytes read", poll.Error, StringComparison.Ordinal);
        Assert.True(Volatile.Read(ref sent) < 64 * 1024 * 1024, $"the server got to send {sent} bytes");
    }

    [Fact]
    public async Task A_huge_declared_length_is_refused_before_reading()
    {
        await using var server = new TinyHttpServer();
        server.Respond(TinyHttpServer.Raw(TinyHttpServer.Head(200, "text/plain", 5L * 1024 * 1024)));

        var poll = await PollAsync(server, VllmLoad);

        Assert.EndsWith("5242880 bytes, more than the 4194304 read", poll.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_without_verification_only_when_insecure()
    {
        using var certificate = TinyHttpServer.SelfSigned();
        await using var server = new TinyHttpServer(certificate);
        server.Respond(TinyHttpServer.Ok("text/plain", Vllm));

        var insecure = await PollAsync(server, VllmLoad, "https", insecure: true);
        var verified = await PollAsync(server, VllmLoad, "https", insecure: false);

        Assert.True(insecure.Succeeded, insecure.Error);
        Assert.Equal(9.0 + 4.25, insecure.Load!.Value, 9);
        Assert.Contains("SecureConnectionError", verified.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Through_the_balancer_reports_reach_the_status_and_metrics_and_a_slow_endpoint_goes_stale()
    {
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        await using var server = new TinyHttpServer();
        server.Respond(Answer(aWaiting: 5));
        var url = $"http://{server.EndPoint}/metrics?backend={{host}}:{{port}}";
        var config = TestConfigs.PortRouted([TestConfigs.Backend(a), TestConfigs.Backend(b)], t => t with { Feedback = Settings(url, VllmLoad, intervalMs: 200) });
        await using var admin = await AdminHarness.StartAsync(config);
        var backends = admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends;
        await Deadline.UntilAsync(() => backends[0].Report?.Load == 5 + 4 * 0.5 && backends[1].Report?.Load == 1 + 4 * 0.5);

        var metrics = await admin.ScrapeAsync();
        Assert.Equal(7, metrics.Get("l4lb_backend_reported_load", ("tenant", TestConfigs.TenantName), ("backend", a.Address)));
        Assert.Equal(3, metrics.Get("l4lb_backend_reported_load", ("tenant", TestConfigs.TenantName), ("backend", b.Address)));
        var status = JsonDocument.Parse(await admin.GetStringAsync("/api/status")).RootElement;
        var backend = status.GetProperty("backends").EnumerateArray().Single(x => x.GetProperty("address").GetString() == a.Address);
        Assert.Equal(7, backend.GetProperty("reported_load").GetDouble());
        Assert.False(backend.GetProperty("report_stale").GetBoolean());
        Assert.Equal(JsonValueKind.Null, backend.GetProperty("agent_state").ValueKind);

        // The endpoint stops answering: polls time out, the load stands until stale, then leaves /metrics.
        server.Respond(static async (Stream _, CancellationToken stop) => await Task.Delay(Timeout.Infinite, stop));
        await Deadline.UntilAsync(() => backends[0].Report?.Reason == "no answer within 200ms");
        await Deadline.UntilAsync(async () => (await admin.ScrapeAsync()).Find("l4lb_backend_reported_load", ("tenant", TestConfigs.TenantName), ("backend", a.Address)) is null);
        metrics = await admin.ScrapeAsync();
        Assert.True(metrics.Get("l4lb_backend_report_age_seconds", ("tenant", TestConfigs.TenantName), ("backend", a.Address)) > 0.6);
        status = JsonDocument.Parse(await admin.GetStringAsync("/api/status")).RootElement;
        backend = status.GetProperty("backends").EnumerateArray().Single(x => x.GetProperty("address").GetString() == a.Address);
        Assert.True(backend.GetProperty("report_stale").GetBoolean());
        Assert.Equal(7, backend.GetProperty("reported_load").GetDouble());
        Assert.True(backends[0].IsAvailable);
        await Deadline.UntilAsync(() => admin.Balancer.Logs.Entries.Any(e => e.EventId == 4204), because: "the collector sees it stale at its next tick");
        var polls = server.Connections;
        await Deadline.UntilAsync(() => server.Connections >= polls + 6);
        Assert.Single(admin.Balancer.Logs.Entries, e => e.EventId == 4204 && e.Message.Contains(a.Address, StringComparison.Ordinal));
        Assert.Single(admin.Balancer.Logs.Entries, e => e.EventId == 4202 && e.Message.Contains(a.Address, StringComparison.Ordinal));

        Func<string, Stream, CancellationToken, Task> Answer(int aWaiting) => async (head, stream, stop) =>
        {
            var waiting = head.Contains($"backend={a.Address}", StringComparison.Ordinal) ? aWaiting : 1;
            await TinyHttpServer.Ok("text/plain", $"vllm:num_requests_waiting {waiting}\nvllm:kv_cache_usage_perc 0.5\n")(stream, stop);
        };
    }

    [PromtoolFact]
    public async Task The_report_gauges_pass_promtool_check_metrics()
    {
        await using var a = TestBackend.Named("a");
        await using var server = new TinyHttpServer();
        server.Respond(TinyHttpServer.Ok("text/plain", "vllm:num_requests_waiting 3\nvllm:kv_cache_usage_perc 0.5\n"));
        var config = TestConfigs.PortRouted([TestConfigs.Backend(a)], t => t with { Feedback = Settings($"http://{server.EndPoint}/metrics", VllmLoad, intervalMs: 200) });
        await using var admin = await AdminHarness.StartAsync(config);
        await Deadline.UntilAsync(() => admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends[0].Report is not null);
        var text = await admin.GetStringAsync("/metrics");
        Assert.Contains("l4lb_backend_reported_load{", text, StringComparison.Ordinal);
        Assert.Contains("l4lb_backend_report_age_seconds{", text, StringComparison.Ordinal);

        var (code, output, errors) = await ExternalTool.RunAsync(PromtoolFactAttribute.Path!, ["check", "metrics"], stdin: text);

        Assert.True(code == 0, $"promtool exit {code}:\n{output}\n{errors}\n--- input ---\n{text}");
        Assert.Equal("", (output + errors).Trim());
    }
}
