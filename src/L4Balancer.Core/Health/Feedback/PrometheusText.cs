using System.Globalization;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// A parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 (comments, <c>HELP</c>,
/// <c>TYPE</c> and <c>UNIT</c> lines, labels with <c>\\</c>, <c>\"</c> and <c>\n</c> escapes, <c>NaN</c> and
/// <c>±Inf</c>, timestamps, exemplars, <c># EOF</c>, and the quoted UTF-8 names of Prometheus 3), written
/// here as no .NET package parses the format (OpenTelemetry and prometheus-net only write it). Like a
/// Prometheus scrape, a malformed line fails the whole payload: a half-read exposition is no load figure.
/// </summary>
internal static class PrometheusText
{
    /// <summary>
    /// The load figure: Σ over <paramref name="terms"/> of weight × the sum of the matching series'
    /// values. A term no series matches fails the poll (a renamed metric or a wrong label must not read
    /// as an idle backend); NaN samples are skipped, as Prometheus treats them as no value.
    /// </summary>
    public static bool TryComputeLoad(string text, IReadOnlyList<LoadTerm> terms, out double load, out string? error)
    {
        var sums = new double[terms.Count];
        var matched = new int[terms.Count];
        var ok = TryParse(text, (name, labels, value) =>
        {
            for (var t = 0; t < terms.Count; t++)
            {
                var term = terms[t];
                if (string.Equals(term.Metric, name, StringComparison.Ordinal) && Matches(term.Labels, labels) && !double.IsNaN(value))
                {
                    sums[t] += value;
                    matched[t]++;
                }
            }
        }, wanted: name => terms.Any(t => string.Equals(t.Metric, name, StringComparison.Ordinal)), out error);

        load = 0;
        if (!ok)
        {
            return false;
        }

        for (var t = 0; t < terms.Count; t++)
        {
            if (matched[t] == 0)
            {
                error = terms[t].Labels.Count == 0
                    ? $"no series of {terms[t].Metric}"
                    : $"no series of {terms[t].Metric} with {string.Join(',', terms[t].Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}";
                return false;
            }

            load += terms[t].Weight * sums[t];
        }

        if (!double.IsFinite(load))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"the load is not a finite number ({load})");
            return false;
        }

        return true;
    }

    private static bool Matches(IReadOnlyDictionary<string, string> wanted, List<KeyValuePair<string, string>> labels)
    {
        foreach (var (key, value) in wanted)
        {
            var found = false;
            foreach (var label in labels)
            {
                if (string.Equals(label.Key, key, StringComparison.Ordinal))
                {
                    found = string.Equals(label.Value, value, StringComparison.Ordinal);
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <param name="sample">Called for every sample whose name <paramref name="wanted"/> accepts, with its labels (the list is reused).</param>
    public static bool TryParse(string text, Action<string, List<KeyValuePair<string, string>>, double> sample, Func<string, bool> wanted, out string? error)
    {
        var labels = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        var eof = false;
        var position = 0;
        while (position < text.Length)
        {
            var newline = text.IndexOf('\n', position);
            var line = (newline < 0 ? text.AsSpan(position) : text.AsSpan(position, newline - position)).TrimEnd('\r');
            position = newline < 0 ? text.Length : newline + 1;
            lineNumber++;
            if (line.IsWhiteSpace())
            {
                continue;
            }

            if (eof)
            {
                error = $"line {lineNumber}: data after # EOF";
                return false;
            }

            var trimmed = line.TrimStart(" \t");
            if (trimmed[0] == '#')
            {
                eof = trimmed.TrimEnd(" \t").SequenceEqual("# EOF");
                continue; // HELP, TYPE, UNIT and plain comments carry nothing a load figure needs
            }

            labels.Clear();
            if (ParseSample(trimmed, labels, wanted, out var name, out var value) is { } problem)
            {
                error = $"line {lineNumber}: {problem}";
                return false;
            }

            if (name is not null)
            {
                sample(name, labels, value);
            }
        }

        error = null;
        return true;
    }

    /// <returns>Null when the line is a valid sample; otherwise what is wrong. <paramref name="name"/> is null for an unwanted sample.</returns>
    private static string? ParseSample(ReadOnlySpan<char> line, List<KeyValuePair<string, string>> labels, Func<string, bool> wanted, out string? name, out double value)
    {
        name = null;
        value = 0;
        var i = 0;
        string? metric = null;
        if (line[0] != '{')
        {
            while (i < line.Length && (char.IsAsciiLetter(line[i]) || line[i] is '_' or ':' || (i > 0 && char.IsAsciiDigit(line[i]))))
            {
                i++;
            }

            if (i == 0)
            {
                return "expected a metric name";
            }

            metric = line[..i].ToString();
        }

        var afterName = i;
        SkipBlanks(line, ref i);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            if (ParseLabels(line, ref i, labels, ref metric) is { } problem)
            {
                return problem;
            }

            afterName = i;
            SkipBlanks(line, ref i);
        }

        if (metric is null)
        {
            return "expected a metric name";
        }

        if (i >= line.Length)
        {
            return "missing value";
        }

        if (i == afterName)
        {
            return $"unexpected '{line[i]}' after the metric name";
        }

        var valueToken = Token(line, ref i);
        if (valueToken.IsEmpty)
        {
            return "missing value";
        }

        if (!TryParseFloat(valueToken, out value))
        {
            return $"\"{valueToken}\" is not a number";
        }

        SkipBlanks(line, ref i);
        if (i < line.Length && line[i] != '#')
        {
            var timestamp = Token(line, ref i);
            if (!TryParseFloat(timestamp, out var ts) || !double.IsFinite(ts))
            {
                return $"\"{timestamp}\" is not a timestamp";
            }

            SkipBlanks(line, ref i);
        }

        // OpenMetrics exemplar ("# {trace_id=\"…\"} 1.0"): not part of the sample's value.
        if (i < line.Length && line[i] != '#')
        {
            return $"unexpected \"{line[i..]}\" after the value";
        }

        name = wanted(metric) ? metric : null;
        return null;
    }

    private static string? ParseLabels(ReadOnlySpan<char> line, ref int i, List<KeyValuePair<string, string>> labels, ref string? metric)
    {
        while (true)
        {
            SkipBlanks(line, ref i);
            if (i >= line.Length)
            {
                return "unterminated label set";
            }

            if (line[i] == '}')
            {
                i++;
                return null;
            }

            string key;
            var quotedKey = line[i] == '"';
            if (quotedKey)
            {
                if (ParseQuoted(line, ref i, out key) is { } problem)
                {
                    return problem;
                }
            }
            else
            {
                var start = i;
                while (i < line.Length && (char.IsAsciiLetter(line[i]) || line[i] == '_' || (i > start && char.IsAsciiDigit(line[i]))))
                {
                    i++;
                }

                if (i == start)
                {
                    return $"unexpected '{line[i]}' in the label set";
                }

                key = line[start..i].ToString();
            }

            SkipBlanks(line, ref i);
            if (i < line.Length && line[i] is ',' or '}' && quotedKey && metric is null && labels.Count == 0)
            {
                // Prometheus 3's {"metric.name", label="v"}: a quoted string without '=' names the metric.
                metric = key;
            }
            else
            {
                if (i >= line.Length || line[i] != '=')
                {
                    return $"expected '=' after label {key}";
                }

                i++;
                SkipBlanks(line, ref i);
                if (i >= line.Length || line[i] != '"')
                {
                    return $"expected a quoted value for label {key}";
                }

                if (ParseQuoted(line, ref i, out var value) is { } problem)
                {
                    return problem;
                }

                labels.Add(new(key, value));
            }

            SkipBlanks(line, ref i);
            if (i < line.Length && line[i] == ',')
            {
                i++;
            }
            else if (i >= line.Length || line[i] != '}')
            {
                return "expected ',' or '}' in the label set";
            }
        }
    }

    /// <summary>A double-quoted string at <paramref name="i"/> with the format's escapes (\\, \", \n).</summary>
    private static string? ParseQuoted(ReadOnlySpan<char> line, ref int i, out string value)
    {
        value = "";
        i++; // the opening quote
        var text = new System.Text.StringBuilder();
        while (i < line.Length)
        {
            var c = line[i++];
            if (c == '"')
            {
                value = text.ToString();
                return null;
            }

            if (c == '\\')
            {
                if (i >= line.Length)
                {
                    break;
                }

                var escaped = line[i++];
                text.Append(escaped switch
                {
                    'n' => '\n',
                    '\\' or '"' => escaped,
                    _ => escaped, // an unknown escape stands for the character itself, as Prometheus's parser reads it
                });
                continue;
            }

            text.Append(c);
        }

        return "unterminated quoted string";
    }

    private static void SkipBlanks(ReadOnlySpan<char> line, ref int i)
    {
        while (i < line.Length && line[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static ReadOnlySpan<char> Token(ReadOnlySpan<char> line, ref int i)
    {
        var start = i;
        while (i < line.Length && line[i] is not (' ' or '\t'))
        {
            i++;
        }

        return line[start..i];
    }

    /// <summary>Go's ParseFloat as Prometheus uses it: decimal and exponent forms, NaN and [+-]Inf(inity), any case.</summary>
    internal static bool TryParseFloat(ReadOnlySpan<char> token, out double value)
    {
        var unsigned = token.Length > 0 && token[0] is '+' or '-' ? token[1..] : token;
        if (unsigned.Equals("inf", StringComparison.OrdinalIgnoreCase) || unsigned.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = token[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        if (unsigned.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }

        return double.TryParse(token, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);
    }
}
