using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary><c>[tenant.feedback]</c> (issue 16): the agent and Prometheus sources, their defaults and errors.</summary>
public class ConfigLoaderFeedbackTests
{
    [Fact]
    public void Agent_with_defaults()
    {
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            agent_port = 5555
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).FindTenant("acme")!;

        var feedback = tenant.Feedback!;
        Assert.Equal(FeedbackSource.Agent, feedback.Source);
        Assert.Equal(TimeSpan.FromSeconds(1), feedback.Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), feedback.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(3), feedback.StaleAfter);
        Assert.Equal(5555, feedback.AgentPort);
        Assert.Null(feedback.AgentSend);
        Assert.Null(feedback.MetricsUrl);
        Assert.Empty(feedback.Load);
    }

    [Fact]
    public void Timeout_and_stale_after_follow_the_interval()
    {
        var feedback = Load("""
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            agent_port = 5555
            interval = "2s"
            agent_send = "ping acme\n"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            agent_port = 6000
            """).FindTenant("acme")!.Feedback!;

        Assert.Equal(TimeSpan.FromSeconds(2), feedback.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(6), feedback.StaleAfter);
        Assert.Equal("ping acme\n", feedback.AgentSend);
    }

    [Fact]
    public void Every_backend_may_bring_its_own_agent_port()
    {
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            feedback = { source = "agent" }
            [[tenant.backend]]
            address = "10.1.0.11:443"
            agent_port = 6001
            [[tenant.backend]]
            address = "10.1.0.12:443"
            agent_port = 6002
            """).FindTenant("acme")!;

        Assert.Equal(0, tenant.Feedback!.AgentPort);
        Assert.Equal([6001, 6002], tenant.Backends.Select(b => b.AgentPort));
    }

    [Fact]
    public void Prometheus_with_every_key()
    {
        var config = Load("""
            [[tenant]]
            name = "llm"
            [tenant.feedback]
            source = "prometheus"
            interval = "500ms"
            timeout = "250ms"
            stale_after = "5s"
            metrics_url = "https://{host}:{port}/metrics"
            insecure = true
            load = [
              { metric = "vllm:num_requests_waiting", weight = 1.0 },
              { metric = "vllm:kv_cache_usage_perc", weight = 4, labels = { model_name = "llama" } },
            ]
            [[tenant.backend]]
            address = "10.1.0.11:8000"
            """);
        var feedback = config.FindTenant("llm")!.Feedback!;

        Assert.Equal(FeedbackSource.Prometheus, feedback.Source);
        Assert.Equal(TimeSpan.FromMilliseconds(500), feedback.Interval);
        Assert.Equal(TimeSpan.FromMilliseconds(250), feedback.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(5), feedback.StaleAfter);
        Assert.Equal("https://{host}:{port}/metrics", feedback.MetricsUrl);
        Assert.True(feedback.Insecure);
        Assert.Equal(2, feedback.Load.Count);
        Assert.Equal("vllm:num_requests_waiting", feedback.Load[0].Metric);
        Assert.Equal(1.0, feedback.Load[0].Weight);
        Assert.Empty(feedback.Load[0].Labels);
        Assert.Equal(4.0, feedback.Load[1].Weight);
        Assert.Equal("llama", feedback.Load[1].Labels["model_name"]);
        Assert.Contains("  feedback prometheus metrics_url=https://{host}:{port}/metrics insecure load=1*vllm:num_requests_waiting+4*vllm:kv_cache_usage_perc{model_name=llama} interval=500ms timeout=250ms stale_after=5s\n", ConfigSummary.Format(config));
    }

    [Fact]
    public void Load_as_an_array_of_tables()
    {
        var feedback = Load("""
            [[tenant]]
            name = "llm"
            [tenant.feedback]
            source = "prometheus"
            metrics_url = "http://{host}:9100/metrics"
            [[tenant.feedback.load]]
            metric = "queue_depth"
            [[tenant.backend]]
            address = "10.1.0.11:8000"
            """).FindTenant("llm")!.Feedback!;

        Assert.Equal("queue_depth", Assert.Single(feedback.Load).Metric);
        Assert.Equal(1.0, feedback.Load[0].Weight);
    }

    [Fact]
    public void Without_the_table_there_is_no_feedback()
    {
        Assert.Null(Load("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).FindTenant("acme")!.Feedback);
    }

    private static readonly ConfigErrorCase[] InvalidTables =
    [
        new("Source_missing", """
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            interval = "1s"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (3, "tenant \"acme\" feedback: source is required (\"agent\" or \"prometheus\")")),
        new("Source_unknown", """
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "orca"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (4, "tenant \"acme\" feedback: source must be \"agent\" or \"prometheus\" (got \"orca\")")),
        new("Agent_port_missing_on_a_backend", """
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            agent_port = 6000
            """, (3, "tenant \"acme\" feedback: agent_port is required with source = \"agent\" (or set agent_port on every backend)")),
        new("Agent_port_and_timing_limits", """
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            agent_port = 70000
            interval = "1s"
            timeout = "2s"
            stale_after = "500ms"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            (5, "tenant \"acme\" feedback: agent_port must be <= 65535 (got 70000)"),
            (7, "tenant \"acme\" feedback: timeout must be <= interval (1s; got 2s)"),
            (8, "tenant \"acme\" feedback: stale_after must be >= interval (1s; got 500ms): every report would be stale before the next one")),
        new("Agent_with_prometheus_keys", """
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            agent_port = 5555
            interval = "0s"
            agent_send = ""
            metrics_url = "http://{host}/metrics"
            load = [{ metric = "x" }]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            (6, "tenant \"acme\" feedback: interval must be > 0 (got \"0s\")"),
            (7, "tenant \"acme\" feedback: agent_send must not be empty (leave it out to send nothing)"),
            (8, "tenant \"acme\" feedback: metrics_url applies only to source = \"prometheus\""),
            (9, "tenant \"acme\" feedback: load applies only to source = \"prometheus\"")),
        new("Prometheus_with_agent_keys", """
            [[tenant]]
            name = "llm"
            [tenant.feedback]
            source = "prometheus"
            agent_port = 5555
            agent_send = "hi"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            agent_port = 6000
            """,
            (3, "tenant \"llm\" feedback: metrics_url is required"),
            (5, "tenant \"llm\" feedback: agent_port applies only to source = \"agent\""),
            (6, "tenant \"llm\" feedback: agent_send applies only to source = \"agent\""),
            (3, "tenant \"llm\" feedback: load is required with source = \"prometheus\": at least one { metric = \"...\", weight = 1.0 }"),
            (9, "tenant \"llm\": agent_port applies only with [tenant.feedback] source = \"agent\"")),
        new("Prometheus_url_scheme_and_empty_load", """
            [[tenant]]
            name = "llm"
            [tenant.feedback]
            source = "prometheus"
            metrics_url = "{host}:{port}/metrics"
            load = []
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            (5, "tenant \"llm\" feedback: metrics_url must be an http:// or https:// URL, with {host} and {port} for the backend's (got \"{host}:{port}/metrics\")"),
            (6, "tenant \"llm\" feedback: load is required with source = \"prometheus\": at least one { metric = \"...\", weight = 1.0 }")),
        new("Prometheus_bad_terms", """
            [[tenant]]
            name = "llm"
            [tenant.feedback]
            source = "prometheus"
            metrics_url = "ftp://{host}/metrics"
            insecure = "yes"
            load = [
              { weight = 2.0 },
              { metric = "9lives", weight = "x" },
              { metric = "ok", labels = { "bad-name" = "v", model = 3 }, extra = 1 },
              { metric = "inf", weight = inf },
            ]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            (5, "tenant \"llm\" feedback: metrics_url must be an http:// or https:// URL, with {host} and {port} for the backend's (got \"ftp://{host}/metrics\")"),
            (6, "tenant \"llm\" feedback: insecure must be true or false, not a string"),
            (8, "tenant \"llm\" feedback load #1: metric is required"),
            (9, "tenant \"llm\" feedback load #2: weight must be a number, not a string"),
            (9, "tenant \"llm\" feedback load #2: metric \"9lives\" is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"),
            (10, "tenant \"llm\" feedback load #3: labels: \"bad-name\" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"),
            (10, "tenant \"llm\" feedback load #3: labels: model must be a string, not an integer"),
            (10, "tenant \"llm\" feedback load #3: unknown key \"extra\""),
            (11, "tenant \"llm\" feedback load #4: weight must be a finite number (got Infinity)")),
        new("Backend_agent_port_without_feedback", """
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            agent_port = 6000
            """, (5, "tenant \"acme\": agent_port applies only with [tenant.feedback] source = \"agent\"")),
        new("Feedback_not_a_table", """
            [[tenant]]
            name = "acme"
            feedback = 1
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (3, "tenant \"acme\": feedback must be a table ([tenant.feedback]), not an integer")),
        new("Feedback_unknown_key_and_port_zero", """
            [[tenant]]
            name = "acme"
            [tenant.feedback]
            source = "agent"
            agent_port = 5555
            intervall = "1s"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            agent_port = 0
            """,
            (6, "tenant \"acme\" feedback: unknown key \"intervall\" (did you mean \"interval\"?)"),
            (9, "tenant \"acme\" backend \"10.1.0.11:443\": agent_port must be >= 1 (got 0)")),
    ];

    public static TheoryData<string> InvalidTableNames => [.. InvalidTables.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(InvalidTableNames))]
    public void Invalid_tables_are_reported_with_their_lines(string name)
    {
        var @case = InvalidTables.Single(c => c.Name == name);
        var errors = Errors(@case.Toml);
        Assert.Equal(
            @case.Errors.OrderBy(e => e.Line).ThenBy(e => e.Message, StringComparer.Ordinal).ToArray(),
            errors.Select(e => (Line: e.Line ?? 0, e.Message)).OrderBy(e => e.Line).ThenBy(e => e.Message, StringComparer.Ordinal).ToArray());
    }
}
