using System.Globalization;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[tenant.feedback]</c> table (issue 16) and the backends' <c>agent_port</c>.</summary>
internal sealed partial class ConfigBinder
{
    /// <summary>HAProxy reads an agent-send string verbatim; a kilobyte is far more than any agent protocol asks for.</summary>
    private const int MaxAgentSendBytes = 1024;

    private static readonly string[] AgentKeys = ["agent_port", "agent_send"];
    private static readonly string[] PrometheusKeys = ["metrics_url", "insecure", "load"];

    /// <param name="agentPortLines">Lines of the backends' own <c>agent_port</c> keys.</param>
    private FeedbackConfig? BindFeedback(ConfigTableReader tenant, IReadOnlyList<BackendConfig> backends, IReadOnlyList<int> agentPortLines)
    {
        var table = tenant.Table("feedback", "[tenant.feedback]");
        if (table is null)
        {
            foreach (var line in agentPortLines)
            {
                tenant.Error(line, "agent_port applies only with [tenant.feedback] source = \"agent\"");
            }

            return null;
        }

        var reader = new ConfigTableReader(table, $"{tenant.Context} feedback", _diagnostics);
        FeedbackSource? source = null;
        if (!reader.Has("source"))
        {
            reader.Error(reader.Line, "source is required (\"agent\" or \"prometheus\")");
        }
        else
        {
            source = reader.Choice<FeedbackSource>("source", FeedbackSource.Agent, ("agent", FeedbackSource.Agent), ("prometheus", FeedbackSource.Prometheus));
        }

        var interval = reader.Duration("interval", TimeSpan.FromSeconds(1), allowZero: false);
        var timeout = reader.Duration("timeout", interval, allowZero: false);
        if (timeout > interval)
        {
            // One poll per backend at a time: a timeout past the interval would skip polls silently.
            reader.Error(reader.KeyLine("timeout"), $"timeout must be <= interval ({DurationParser.Format(interval)}; got {DurationParser.Format(timeout)})");
        }

        var staleAfter = reader.Duration("stale_after", interval * 3, allowZero: false);
        if (staleAfter < interval)
        {
            reader.Error(reader.KeyLine("stale_after"), $"stale_after must be >= interval ({DurationParser.Format(interval)}; got {DurationParser.Format(staleAfter)}): every report would be stale before the next one");
        }

        var feedback = new FeedbackConfig
        {
            Source = source ?? FeedbackSource.Agent,
            Interval = interval,
            Timeout = timeout,
            StaleAfter = staleAfter,
        };

        switch (source)
        {
            case FeedbackSource.Agent:
                RejectKeys(reader, PrometheusKeys, "prometheus");
                feedback = BindAgent(reader, feedback, backends);
                break;
            case FeedbackSource.Prometheus:
                RejectKeys(reader, AgentKeys, "agent");
                foreach (var line in agentPortLines)
                {
                    tenant.Error(line, "agent_port applies only with [tenant.feedback] source = \"agent\"");
                }

                feedback = BindPrometheus(reader, feedback);
                break;
            default:
                // The source is missing or wrong (already reported): mark the other keys read so they do not pile up as "unknown".
                foreach (var key in AgentKeys.Concat(PrometheusKeys))
                {
                    reader.Entry(key);
                }

                break;
        }

        reader.ReportUnknownKeys();
        return feedback;
    }

    private static void RejectKeys(ConfigTableReader reader, string[] keys, string source)
    {
        foreach (var key in keys)
        {
            if (reader.Entry(key) is { } entry)
            {
                reader.Error(entry.Line, $"{key} applies only to source = \"{source}\"");
            }
        }
    }

    private static FeedbackConfig BindAgent(ConfigTableReader reader, FeedbackConfig feedback, IReadOnlyList<BackendConfig> backends)
    {
        var port = ReadPort(reader, "agent_port");
        if (!reader.Has("agent_port") && (backends.Count == 0 || backends.Any(b => b.AgentPort == 0)))
        {
            reader.Error(reader.Line, "agent_port is required with source = \"agent\" (or set agent_port on every backend)");
        }

        string? send = null;
        if (reader.String("agent_send") is { } text)
        {
            if (text.Value.Length == 0)
            {
                reader.Error(text.Line, "agent_send must not be empty (leave it out to send nothing)");
            }
            else if (text.Value.Any(c => c > 0x7f) || text.Value.Length > MaxAgentSendBytes)
            {
                reader.Error(text.Line, string.Create(CultureInfo.InvariantCulture, $"agent_send must be ASCII of at most {MaxAgentSendBytes} bytes"));
            }
            else
            {
                send = text.Value;
            }
        }

        return feedback with { AgentPort = port, AgentSend = send };
    }

    private FeedbackConfig BindPrometheus(ConfigTableReader reader, FeedbackConfig feedback)
    {
        var url = reader.RequiredString("metrics_url");
        if (url is { } u && !IsMetricsUrl(u.Value))
        {
            reader.Error(u.Line, $"metrics_url must be an http:// or https:// URL, with {{host}} and {{port}} for the backend's (got \"{u.Value}\")");
        }

        var insecure = reader.Bool("insecure", false);
        var terms = new List<LoadTerm>();
        var tables = reader.TableArray("load", "load = [{ metric = \"...\", weight = 1.0 }]");
        if (tables is not null && tables.Count == 0)
        {
            reader.Error(reader.KeyLine("load"), "load is required with source = \"prometheus\": at least one { metric = \"...\", weight = 1.0 }");
        }

        for (var i = 0; i < (tables?.Count ?? 0); i++)
        {
            if (BindLoadTerm(new ConfigTableReader(tables![i], $"{reader.Context} load #{i + 1}", _diagnostics)) is { } term)
            {
                terms.Add(term);
            }
        }

        return feedback with { MetricsUrl = url?.Value, Insecure = insecure, Load = terms };
    }

    private static LoadTerm? BindLoadTerm(ConfigTableReader reader)
    {
        var metric = reader.RequiredString("metric");
        var weight = reader.Double("weight", 1.0);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var valid = true;
        if (metric is { } m && !IsMetricName(m.Value))
        {
            reader.Error(m.Line, $"metric \"{m.Value}\" is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
            valid = false;
        }

        if (reader.Table("labels", "labels = { name = \"value\" }") is { } table)
        {
            foreach (var entry in table.Entries)
            {
                if (!IsLabelName(entry.Key))
                {
                    reader.Error(entry.Line, $"labels: \"{entry.Key}\" is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)");
                    valid = false;
                }
                else if (entry.Value is StringValueSyntax { Value: { } value })
                {
                    labels[entry.Key] = value;
                }
                else
                {
                    reader.Error(entry.Line, $"labels: {entry.Key} must be a string, not {entry.Describe()}");
                    valid = false;
                }
            }
        }

        reader.ReportUnknownKeys();
        return metric is null || !valid ? null : new LoadTerm { Metric = metric.Value.Value, Weight = weight, Labels = labels };
    }

    /// <summary>1–65535; 0 (absent) means "not set".</summary>
    private static int ReadPort(ConfigTableReader reader, string key)
    {
        var port = reader.Int(key, 0, min: 1);
        if (port > 65535)
        {
            reader.Error(reader.KeyLine(key), string.Create(CultureInfo.InvariantCulture, $"{key} must be <= 65535 (got {port})"));
            return 0;
        }

        return port;
    }

    /// <summary>Checked with sample values in the placeholders, as each backend's URL will be made.</summary>
    internal static bool IsMetricsUrl(string template)
    {
        var sample = template.Replace("{host}", "127.0.0.1", StringComparison.Ordinal).Replace("{port}", "1", StringComparison.Ordinal);
        return Uri.TryCreate(sample, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0
            && !sample.Contains('{', StringComparison.Ordinal);
    }

    internal static bool IsMetricName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    internal static bool IsLabelName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
