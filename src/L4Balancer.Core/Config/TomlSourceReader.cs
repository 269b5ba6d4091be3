using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Folds the Tomlyn syntax tree of one file, already validated by Tomlyn, into <see cref="TomlSourceTable"/>s,
/// with lines in the load's line space and <c>${NAME}</c> in string values substituted.
/// </summary>
internal sealed class TomlSourceReader
{
    private readonly int _lineBase;
    private readonly Func<string, string?> _environment;
    private bool _substitutionFailed;

    /// <param name="lineBase">The file's base in the load's line space (<see cref="ConfigDiagnostics.AddFile"/>).</param>
    /// <param name="environment">For <c>${NAME}</c>: null when a variable is not set.</param>
    private TomlSourceReader(int lineBase, Func<string, string?> environment)
    {
        _lineBase = lineBase;
        _environment = environment;
    }

    /// <param name="substitutionFailed">Whether a <c>${NAME}</c> could not be substituted (reported), which leaves values the binder would misreport.</param>
    public static TomlSourceTable Read(DocumentSyntax document, ConfigDiagnostics diagnostics, int lineBase, Func<string, string?> environment, out bool substitutionFailed)
    {
        var reader = new TomlSourceReader(lineBase, environment);
        var root = reader.Read(document, diagnostics);
        substitutionFailed = reader._substitutionFailed;
        return root;
    }

    private TomlSourceTable Read(DocumentSyntax document, ConfigDiagnostics diagnostics)
    {
        var root = new TomlSourceTable(_lineBase + 1);
        foreach (var keyValue in document.KeyValues)
        {
            AddKeyValue(root, keyValue, diagnostics);
        }

        foreach (var header in document.Tables)
        {
            if (header.Name is not { } name)
            {
                continue;
            }

            var line = LineOf(header);
            var path = KeyPath(name);
            var parent = Descend(root, path, line, diagnostics);
            if (parent is null)
            {
                continue;
            }

            var table = header is TableArraySyntax
                ? AddArrayElement(parent, path[^1], line, diagnostics)
                : GetOrAddTable(parent, path[^1], line, diagnostics);
            if (table is null)
            {
                continue;
            }

            foreach (var keyValue in header.Items)
            {
                AddKeyValue(table, keyValue, diagnostics);
            }
        }

        return root;
    }

    /// <summary>1-based, as editors count, in the load's line space; Tomlyn's positions are 0-based.</summary>
    private int LineOf(SyntaxNodeBase node) => _lineBase + node.Span.Start.Line + 1;

    private void AddKeyValue(TomlSourceTable table, KeyValueSyntax keyValue, ConfigDiagnostics diagnostics)
    {
        if (keyValue.Key is not { } key || keyValue.Value is not { } value)
        {
            return;
        }

        var line = LineOf(key);
        var path = KeyPath(key);
        var parent = Descend(table, path, line, diagnostics);
        if (parent is null)
        {
            return;
        }

        var name = path[^1];
        TomlSourceEntry entry;
        if (value is InlineTableSyntax inline)
        {
            entry = TomlSourceEntry.ForTable(name, line, _lineBase, ReadInline(inline, line, diagnostics));
        }
        else if (value is ArraySyntax array && array.Items.ChildrenCount > 0 && array.Items.All(i => i.Value is InlineTableSyntax))
        {
            // backend = [{ address = "..." }, ...] means the same as [[tenant.backend]] headers.
            entry = TomlSourceEntry.ForTables(name, line, _lineBase);
            foreach (var item in array.Items)
            {
                entry.Tables!.Add(ReadInline((InlineTableSyntax)item.Value!, LineOf(item.Value!), diagnostics));
            }
        }
        else
        {
            Substitute(value, name, diagnostics);
            entry = TomlSourceEntry.ForValue(name, line, _lineBase, value);
        }

        if (!parent.TryAdd(entry))
        {
            diagnostics.Add(line, $"key \"{name}\" is defined twice");
        }
    }

    /// <summary>
    /// <c>${NAME}</c> in every string of a value (the items of an array too), in place; keys and
    /// numbers are never substituted. Each error is on the line of the string that has it.
    /// </summary>
    private void Substitute(ValueSyntax value, string key, ConfigDiagnostics diagnostics)
    {
        switch (value)
        {
            case StringValueSyntax { Value: { } text } node:
                var errors = new List<string>();
                var expanded = EnvironmentSubstitution.Expand(text, _environment, errors);
                foreach (var error in errors)
                {
                    diagnostics.Add(LineOf(node), $"{key}: {error}");
                    _substitutionFailed = true;
                }

                // With an error the value stays as written: "${DIR}/*.toml" with DIR unset must not
                // become "/*.toml".
                if (errors.Count == 0)
                {
                    node.Value = expanded;
                }
                break;
            case ArraySyntax array:
                foreach (var item in array.Items)
                {
                    if (item.Value is { } itemValue)
                    {
                        Substitute(itemValue, key, diagnostics);
                    }
                }

                break;
        }
    }

    private TomlSourceTable ReadInline(InlineTableSyntax inline, int line, ConfigDiagnostics diagnostics)
    {
        var table = new TomlSourceTable(line);
        foreach (var item in inline.Items)
        {
            if (item.KeyValue is { } keyValue)
            {
                AddKeyValue(table, keyValue, diagnostics);
            }
        }

        return table;
    }

    /// <summary>Walks (creating implicit tables) to the table that holds the last key of <paramref name="path"/>.</summary>
    private TomlSourceTable? Descend(TomlSourceTable table, IReadOnlyList<string> path, int line, ConfigDiagnostics diagnostics)
    {
        for (var i = 0; i < path.Count - 1; i++)
        {
            var entry = table.Find(path[i]);
            if (entry is null)
            {
                var created = new TomlSourceTable(line);
                table.TryAdd(TomlSourceEntry.ForTable(path[i], line, _lineBase, created));
                table = created;
            }
            else if (entry.Table is not null)
            {
                table = entry.Table;
            }
            else if (entry.Tables is { Count: > 0 })
            {
                // [tenant.health] belongs to the latest [[tenant]].
                table = entry.Tables[^1];
            }
            else
            {
                diagnostics.Add(line, $"key \"{path[i]}\" is not a table");
                return null;
            }
        }

        return table;
    }

    private TomlSourceTable? GetOrAddTable(TomlSourceTable parent, string key, int line, ConfigDiagnostics diagnostics)
    {
        var entry = parent.Find(key);
        if (entry is null)
        {
            var table = new TomlSourceTable(line);
            parent.TryAdd(TomlSourceEntry.ForTable(key, line, _lineBase, table));
            return table;
        }

        if (entry.Table is null)
        {
            diagnostics.Add(line, $"key \"{key}\" is defined twice");
        }

        return entry.Table;
    }

    private TomlSourceTable? AddArrayElement(TomlSourceTable parent, string key, int line, ConfigDiagnostics diagnostics)
    {
        var entry = parent.Find(key);
        if (entry is null)
        {
            entry = TomlSourceEntry.ForTables(key, line, _lineBase);
            parent.TryAdd(entry);
        }

        if (entry.Tables is null)
        {
            diagnostics.Add(line, $"key \"{key}\" is defined twice");
            return null;
        }

        var table = new TomlSourceTable(line);
        entry.Tables.Add(table);
        return table;
    }

    private static List<string> KeyPath(KeySyntax key)
    {
        var path = new List<string> { KeyText(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            path.Add(KeyText(dotted.Key));
        }

        return path;
    }

    private static string KeyText(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => "",
    };
}
