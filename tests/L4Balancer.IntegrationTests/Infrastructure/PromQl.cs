using System.Text.Json;
using System.Text.RegularExpressions;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// Just enough of PromQL to say which series an expression reads: metric names are the identifiers left
/// once strings, label matchers, ranges, grouping clauses, function calls and keywords are taken out.
/// For checking that the shipped dashboard and alert rules use only series the balancer exports.
/// </summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan", "atan2",
    };

    public static IReadOnlyList<string> SeriesIn(string expression)
    {
        // Grafana's label_values(metric{…}, label): only the first argument is a series.
        if (LabelValues().Match(expression) is { Success: true } labelValues)
        {
            expression = labelValues.Groups["metric"].Value;
        }

        var text = StringLiteral().Replace(expression, " ");
        text = Matchers().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        return Identifier().Matches(text).Select(m => m.Value).Where(name => !Keywords.Contains(name)).Distinct().ToList();
    }

    /// <summary>Every PromQL expression of a Grafana dashboard: panel targets (rows' panels too) and query variables.</summary>
    public static IReadOnlyList<string> DashboardExpressions(JsonElement dashboard)
    {
        var expressions = new List<string>();
        void Panels(JsonElement panels)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                if (panel.TryGetProperty("targets", out var targets))
                {
                    expressions.AddRange(targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
                }

                if (panel.TryGetProperty("panels", out var nested))
                {
                    Panels(nested);
                }
            }
        }

        Panels(dashboard.GetProperty("panels"));
        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                var query = variable.GetProperty("query");
                expressions.Add(query.ValueKind == JsonValueKind.String ? query.GetString()! : query.GetProperty("query").GetString()!);
            }
        }

        return expressions;
    }

    /// <summary>The <c>expr:</c> of every rule in a Prometheus rules file (one-line expressions, as the shipped file writes them).</summary>
    public static IReadOnlyList<string> RuleExpressions(string rulesYaml) =>
        RuleExpr().Matches(rulesYaml).Select(m => m.Groups["expr"].Value.Trim()).ToList();

    /// <summary>The dashboard's variables replaced by values Prometheus accepts, for a syntax check.</summary>
    public static string WithoutGrafanaVariables(string expression) =>
        expression.Replace("$__rate_interval", "5m", StringComparison.Ordinal).Replace("$job", ".*", StringComparison.Ordinal)
            .Replace("$instance", ".*", StringComparison.Ordinal).Replace("$tenant", ".*", StringComparison.Ordinal);

    [GeneratedRegex(@"^\s*label_values\(\s*(?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?)\s*,\s*\w+\s*\)\s*$")]
    private static partial Regex LabelValues();

    [GeneratedRegex("""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    /// <summary>An identifier not preceded by a word character, <c>$</c> or <c>.</c> (numbers, variables) and not a function call.</summary>
    [GeneratedRegex(@"(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^\s*expr:\s*(?<expr>.+)$", RegexOptions.Multiline)]
    private static partial Regex RuleExpr();
}
