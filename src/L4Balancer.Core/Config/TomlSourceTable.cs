namespace L4Balancer.Core.Config;

/// <summary>
/// A TOML table after <c>[a.b]</c> headers, <c>[[arrays]]</c>, dotted keys and inline tables have been
/// folded into one tree, keeping the line of every key. Tomlyn's own model drops the lines, and its
/// syntax tree keeps them but leaves the folding to the reader.
/// </summary>
internal sealed class TomlSourceTable
{
    private readonly Dictionary<string, TomlSourceEntry> _byKey = new(StringComparer.Ordinal);
    private readonly List<TomlSourceEntry> _entries = [];

    public TomlSourceTable(int line)
    {
        Line = line;
    }

    /// <summary>The line of the table's header, or of the key that made it (dotted or inline).</summary>
    public int Line { get; }

    /// <summary>In the order written.</summary>
    public IReadOnlyList<TomlSourceEntry> Entries => _entries;

    public TomlSourceEntry? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>False when the key is already there (Tomlyn's validation reports that case first).</summary>
    public bool TryAdd(TomlSourceEntry entry)
    {
        if (!_byKey.TryAdd(entry.Key, entry))
        {
            return false;
        }

        _entries.Add(entry);
        return true;
    }
}
