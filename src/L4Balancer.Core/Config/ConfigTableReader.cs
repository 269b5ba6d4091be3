using System.Globalization;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Reads typed keys from one table of the config, reporting wrong types and ranges against the key's
/// line, and remembers which keys were read so that every other key can be reported as unknown.
/// </summary>
internal sealed class ConfigTableReader
{
    private readonly TomlSourceTable _table;
    private readonly ConfigDiagnostics _diagnostics;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Every key the binder asked for, present or not: the keys valid here, in the order asked, for "did you mean".</summary>
    private readonly List<string> _asked = [];

    public ConfigTableReader(TomlSourceTable table, string context, ConfigDiagnostics diagnostics)
    {
        _table = table;
        _diagnostics = diagnostics;
        Context = context;
    }

    /// <summary>What messages call this table, e.g. <c>tenant "acme"</c> (empty for the top level); refined once the name is read.</summary>
    public string Context { get; set; }

    /// <summary>The table's header line, for "is required" errors.</summary>
    public int Line => _table.Line;

    public void Error(int line, string message) =>
        _diagnostics.Add(line, Context.Length == 0 ? message : $"{Context}: {message}");

    public bool Has(string key) => _table.Find(key) is not null;

    /// <summary>The key's line, or the header's when the key is absent.</summary>
    public int KeyLine(string key) => _table.Find(key)?.Line ?? Line;

    public TomlSourceEntry? Entry(string key)
    {
        if (!_asked.Contains(key))
        {
            _asked.Add(key);
        }

        var entry = _table.Find(key);
        if (entry is not null)
        {
            _read.Add(key);
        }

        return entry;
    }

    public LocatedString? String(string key)
    {
        if (Entry(key) is not { } entry)
        {
            return null;
        }

        if (entry.Value is StringValueSyntax { Value: { } text })
        {
            return new LocatedString(text, entry.Line);
        }

        Error(entry.Line, $"{key} must be a string, not {entry.Describe()}");
        return null;
    }

    /// <summary>Reports a missing key against the table header.</summary>
    public LocatedString? RequiredString(string key)
    {
        if (_table.Find(key) is null)
        {
            Error(Line, $"{key} is required");
            return null;
        }

        return String(key);
    }

    public bool Bool(string key, bool defaultValue)
    {
        if (Entry(key) is not { } entry)
        {
            return defaultValue;
        }

        if (entry.Value is not BooleanValueSyntax { } boolean)
        {
            Error(entry.Line, $"{key} must be true or false, not {entry.Describe()}");
            return defaultValue;
        }

        return boolean.Value;
    }

    public int Int(string key, int defaultValue, int min) =>
        (int)Integer(key, defaultValue, min, int.MaxValue);

    private long Integer(string key, long defaultValue, long min, long max)
    {
        if (Entry(key) is not { } entry)
        {
            return defaultValue;
        }

        if (entry.Value is not IntegerValueSyntax { } integer)
        {
            Error(entry.Line, $"{key} must be an integer, not {entry.Describe()}");
            return defaultValue;
        }

        var value = integer.Value;
        if (value < min)
        {
            Error(entry.Line, string.Create(CultureInfo.InvariantCulture, $"{key} must be >= {min} (got {value})"));
            return defaultValue;
        }

        if (value > max)
        {
            Error(entry.Line, string.Create(CultureInfo.InvariantCulture, $"{key} must be <= {max} (got {value})"));
            return defaultValue;
        }

        return value;
    }

    /// <summary>A finite number; an integer is taken as one (<c>weight = 4</c> means 4.0).</summary>
    public double Double(string key, double defaultValue)
    {
        if (Entry(key) is not { } entry)
        {
            return defaultValue;
        }

        double value;
        switch (entry.Value)
        {
            case IntegerValueSyntax integer:
                value = integer.Value;
                break;
            case FloatValueSyntax number:
                value = number.Value;
                break;
            default:
                Error(entry.Line, $"{key} must be a number, not {entry.Describe()}");
                return defaultValue;
        }

        if (!double.IsFinite(value))
        {
            Error(entry.Line, string.Create(CultureInfo.InvariantCulture, $"{key} must be a finite number (got {value})"));
            return defaultValue;
        }

        return value;
    }

    public TimeSpan Duration(string key, TimeSpan defaultValue, bool allowZero)
    {
        if (Entry(key) is not { } entry)
        {
            return defaultValue;
        }

        if (entry.Value is IntegerValueSyntax or FloatValueSyntax)
        {
            var number = entry.Value is IntegerValueSyntax integer
                ? integer.Value.ToString(CultureInfo.InvariantCulture)
                : ((FloatValueSyntax)entry.Value).Value.ToString(CultureInfo.InvariantCulture);
            Error(entry.Line, $"{key} must be a string with a unit, e.g. \"{number}s\" (got {number})");
            return defaultValue;
        }

        if (entry.Value is not StringValueSyntax { Value: { } text })
        {
            Error(entry.Line, $"{key} must be a duration string, e.g. \"5s\", not {entry.Describe()}");
            return defaultValue;
        }

        if (!DurationParser.TryParse(text, out var value, out var error))
        {
            Error(entry.Line, $"{key}: {error}");
            return defaultValue;
        }

        if (!allowZero && value <= TimeSpan.Zero)
        {
            Error(entry.Line, $"{key} must be > 0 (got \"{text}\")");
            return defaultValue;
        }

        return value;
    }

    /// <summary>
    /// One of a fixed set of strings, e.g. <c>route = "sni"</c>; matched exactly, like every other key.
    /// Null when the value is invalid, so that checks depending on it can stay quiet instead of piling
    /// a second, misleading error on the first.
    /// </summary>
    public T? Choice<T>(string key, T defaultValue, params (string Name, T Value)[] choices)
        where T : struct
    {
        if (String(key) is not { } text)
        {
            return defaultValue;
        }

        foreach (var (name, value) in choices)
        {
            if (string.Equals(name, text.Value, StringComparison.Ordinal))
            {
                return value;
            }
        }

        var names = choices.Select(c => $"\"{c.Name}\"").ToList();
        var expected = names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
        Error(text.Line, $"{key} must be {expected} (got \"{text.Value}\")");
        return null;
    }

    /// <summary>Bytes per second: a non-negative integer or a string like <c>"100MB/s"</c>.</summary>
    public long Rate(string key)
    {
        if (Entry(key) is not { } entry)
        {
            return 0;
        }

        switch (entry.Value)
        {
            case IntegerValueSyntax { Value: >= 0 } integer:
                return integer.Value;
            case IntegerValueSyntax integer:
                Error(entry.Line, string.Create(CultureInfo.InvariantCulture, $"{key} must be >= 0 (got {integer.Value})"));
                return 0;
            case StringValueSyntax { Value: { } text }:
                if (ByteSizeParser.TryParseRate(text, out var rate, out var error))
                {
                    return rate;
                }

                Error(entry.Line, $"{key}: {error}");
                return 0;
            default:
                Error(entry.Line, $"{key} must be a rate like \"100MB/s\" or an integer, not {entry.Describe()}");
                return 0;
        }
    }

    /// <summary>Each item with its own line, so a bad item in a long multi-line array is easy to find.</summary>
    public IReadOnlyList<LocatedString> StringArray(string key)
    {
        if (Entry(key) is not { } entry)
        {
            return [];
        }

        if (entry.Value is not ArraySyntax array)
        {
            Error(entry.Line, $"{key} must be an array of strings, not {entry.Describe()}");
            return [];
        }

        var items = new List<LocatedString>();
        foreach (var item in array.Items)
        {
            if (item.Value is StringValueSyntax { Value: { } text })
            {
                items.Add(new LocatedString(text, entry.LineOf(item.Value)));
            }
            else if (item.Value is not null)
            {
                Error(entry.LineOf(item.Value), $"{key} must contain only strings, not {TomlSourceEntry.Describe(item.Value)}");
            }
        }

        return items;
    }

    /// <param name="header">How the table is written as a header, for the hint in the message.</param>
    public TomlSourceTable? Table(string key, string header)
    {
        if (Entry(key) is not { } entry)
        {
            return null;
        }

        if (entry.Table is null)
        {
            Error(entry.Line, $"{key} must be a table ({header}), not {entry.Describe()}");
        }

        return entry.Table;
    }

    /// <param name="header">How the array is written as a header, for the hint in the message.</param>
    /// <returns>Empty when the key is absent; null (after reporting it) when it is not an array of tables.</returns>
    public IReadOnlyList<TomlSourceTable>? TableArray(string key, string header)
    {
        if (Entry(key) is not { } entry)
        {
            return [];
        }

        if (entry.Tables is not null)
        {
            return entry.Tables;
        }

        // "backend = []" is an empty array of tables, not a type error.
        if (entry.Value is ArraySyntax { Items.ChildrenCount: 0 })
        {
            return [];
        }

        Error(entry.Line, $"{key} must be an array of tables ({header}), not {entry.Describe()}");
        return null;
    }

    /// <summary>
    /// Every key not read is an error, with the closest valid key of this table when one is close
    /// (<see cref="KeySuggestion"/>): call it after every key the table may hold has been asked for.
    /// </summary>
    public void ReportUnknownKeys()
    {
        foreach (var entry in _table.Entries)
        {
            if (!_read.Contains(entry.Key))
            {
                var what = entry.Value is null ? "table" : "key";
                var suggestion = KeySuggestion.Closest(entry.Key, _asked);
                var hint = suggestion is null ? "" : $" (did you mean \"{suggestion}\"?)";
                Error(entry.Line, $"unknown {what} \"{entry.Key}\"{hint}");
            }
        }
    }
}
