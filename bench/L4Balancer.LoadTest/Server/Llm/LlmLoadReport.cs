using System.Globalization;
using System.Text;

namespace L4Balancer.LoadTest.Server.Llm;

/// <summary>What the simulator reports about its load: the agent-check line and the /metrics text.</summary>
internal static class LlmLoadReport
{
    /// <summary>
    /// HAProxy's agent-check answer: a weight percentage and <c>ready</c>, one line. The weight is
    /// the share of the instance's capacity a newcomer would get, if the slots stay full and each
    /// waiter is one slot's worth of work: <c>100 × slots / (slots + waiting)</c>, rounded, at least
    /// 1 % (0 % would drain the server, which queue depth alone must never do). So an instance with
    /// an empty queue says 100 %, a queue as long as its slots 50 %, three times its slots 25 %.
    /// Running requests do not lower it: they hold slots that free by themselves, and the balancer
    /// already counts their open connections.
    /// </summary>
    public static string AgentLine(int slots, int waiting)
    {
        var weight = (int)Math.Round(100.0 * slots / (slots + waiting), MidpointRounding.AwayFromZero);
        return string.Create(CultureInfo.InvariantCulture, $"{Math.Clamp(weight, 1, 100)}% ready\n");
    }

    /// <summary>KV-cache usage as vLLM reports it: a fraction (1 = full) despite the name.</summary>
    public static double KvUsage(long heldTokens, int capacityTokens) => Math.Clamp((double)heldTokens / capacityTokens, 0, 1);

    /// <summary>Prometheus text format (version 0.0.4) with vLLM's metric names and its model_name label.</summary>
    public static string MetricsText(string model, int running, int waiting, double kvUsage, long promptTokens, long generationTokens, long completed)
    {
        var label = $"model_name=\"{model.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
        var text = new StringBuilder();
        Metric(text, "vllm:num_requests_running", "gauge", "Number of requests in model execution batches.", label, running);
        Metric(text, "vllm:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", label, waiting);
        Metric(text, "vllm:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", label, kvUsage);
        Metric(text, "vllm:prompt_tokens_total", "counter", "Number of prefill tokens processed.", label, promptTokens);
        Metric(text, "vllm:generation_tokens_total", "counter", "Number of generation tokens processed.", label, generationTokens);
        Metric(text, "vllm:request_success_total", "counter", "Count of successfully processed requests.", "finished_reason=\"length\"," + label, completed);
        return text.ToString();
    }

    private static void Metric(StringBuilder text, string name, string type, string help, string labels, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name}{{{labels}}} {value:0.0###}\n");
}
