using L4Balancer.Core.Config;
using L4Balancer.Core.Health.Feedback;

using L4Balancer.TestSupport.Metrics;

namespace L4Balancer.Tests.Health.Feedback;

/// <summary>The text exposition format and OpenMetrics, as a load figure reads them.</summary>
public class PrometheusTextTests
{
    private const string Vllm = VllmExposition.Text;

    private static double Load(string text, params LoadTerm[] terms)
    {
        Assert.True(PrometheusText.TryComputeLoad(text, terms, out var load, out var error), error);
        return load;
    }

    private static string Error(string text, params LoadTerm[] terms)
    {
        Assert.False(PrometheusText.TryComputeLoad(text, terms, out _, out var error));
        return error!;
    }

    private static LoadTerm Term(string metric, double weight = 1.0, params (string Key, string Value)[] labels) =>
        new() { Metric = metric, Weight = weight, Labels = labels.ToDictionary(l => l.Key, l => l.Value) };

    [Fact]
    public void Vllm_waiting_and_kv_cache_summed_over_models()
    {
        var load = Load(Vllm, Term("vllm:num_requests_waiting"), Term("vllm:kv_cache_usage_perc", 4.0));

        Assert.Equal(9.0 + 4.0 * (0.8125 + 0.25), load, 9);
    }

    [Fact]
    public void Label_matchers_pick_one_model()
    {
        var load = Load(Vllm,
            Term("vllm:num_requests_waiting", 1.0, ("model_name", "Qwen/Qwen2.5-7B")),
            Term("vllm:kv_cache_usage_perc", 4.0, ("model_name", "Qwen/Qwen2.5-7B"), ("engine", "0")));

        Assert.Equal(2.0 + 1.0, load, 9);
    }

    [Fact]
    public void A_term_no_series_matches_fails_rather_than_reading_as_idle()
    {
        Assert.Equal("no series of vllm:num_requests_swapped", Error(Vllm, Term("vllm:num_requests_waiting"), Term("vllm:num_requests_swapped")));
        Assert.Equal("no series of vllm:num_requests_waiting with model_name=\"gpt\"", Error(Vllm, Term("vllm:num_requests_waiting", 1.0, ("model_name", "gpt"))));
    }

    [Fact]
    public void OpenMetrics_with_units_exemplars_timestamps_and_eof()
    {
        const string text = """
            # TYPE queue_depth gauge
            # UNIT queue_depth requests
            # HELP queue_depth Requests "queued" \ waiting.
            queue_depth{pool="a"} 3 1700000000.123
            queue_depth{pool="b"} 4.5e0
            # TYPE served counter
            served_total{pool="a"} 17 # {trace_id="abc"} 1.0 1700000000.1
            served_created{pool="a"} 1700000000
            # EOF

            """;

        Assert.Equal(7.5, Load(text, Term("queue_depth")));
        Assert.Equal(17, Load(text, Term("served_total")));
    }

    [Fact]
    public void Escaped_label_values_and_odd_spacing()
    {
        const string text = "m{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",nl=\"a\\nb\",} 2\r\n  m { path = \"other\" } 3 -17\r\n";

        Assert.Equal(2, Load(text, Term("m", 1.0, ("path", "C:\\dir"), ("quote", "say \"hi\""), ("nl", "a\nb"))));
        Assert.Equal(5, Load(text, Term("m")));
    }

    [Fact]
    public void Quoted_utf8_metric_names_of_prometheus_3()
    {
        const string text = """
            {"queue.depth", pool="a"} 2
            {"queue.depth"} 1

            """;

        Assert.True(PrometheusText.TryParse(text, (name, _, value) => Assert.Equal("queue.depth", name), _ => true, out var error), error);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("nan")]
    public void NaN_samples_are_no_value(string nan) =>
        Assert.Equal(3, Load($"m{{a=\"1\"}} {nan}\nm{{a=\"2\"}} 3\n", Term("m")));

    [Theory]
    [InlineData("+Inf")]
    [InlineData("-Inf")]
    [InlineData("Inf")]
    public void An_infinite_load_fails(string inf) =>
        Assert.StartsWith("the load is not a finite number", Error($"m {inf}\n", Term("m")));

    [Fact]
    public void Infinite_samples_of_other_metrics_do_not_matter() =>
        Assert.Equal(1, Load("other +Inf\nm 1\nb{le=\"+Inf\"} -Inf\n", Term("m")));

    [Fact]
    public void Negative_weights_subtract() =>
        Assert.Equal(10 - 2 * 3, Load("a 10\nb 3\n", Term("a"), Term("b", -2)));

    [Theory]
    [InlineData("m{a=\"1\" 2\n", "line 1: expected ',' or '}' in the label set")]
    [InlineData("m{a=1} 2\n", "line 1: expected a quoted value for label a")]
    [InlineData("m{a=\"1} 2\n", "line 1: unterminated quoted string")]
    [InlineData("m{a} 2\n", "line 1: expected '=' after label a")]
    [InlineData("m\n", "line 1: missing value")]
    [InlineData("m{a=\"1\"}\n", "line 1: missing value")]
    [InlineData("m twelve\n", "line 1: \"twelve\" is not a number")]
    [InlineData("m 1 2 3\n", "line 1: unexpected \"3\" after the value")]
    [InlineData("m 1 later\n", "line 1: \"later\" is not a timestamp")]
    [InlineData("# ok\n9m 1\n", "line 2: expected a metric name")]
    [InlineData("m{a=\"1\"}2\n", "line 1: unexpected '2' after the metric name")]
    [InlineData("m 1\n# EOF\nm 2\n", "line 3: data after # EOF")]
    [InlineData("<html><body>502 Bad Gateway</body></html>\n", "line 1: expected a metric name")]
    public void Malformed_payloads_fail_whole(string text, string error) =>
        Assert.Equal(error, Error(text, Term("m")));

    [Fact]
    public void A_malformed_line_fails_even_when_it_is_another_metric() =>
        Assert.Equal("line 2: \"x\" is not a number", Error("m 1\nother x\n", Term("m")));

    [Fact]
    public void Empty_payload_has_no_series() =>
        Assert.Equal("no series of m", Error("", Term("m")));
}
