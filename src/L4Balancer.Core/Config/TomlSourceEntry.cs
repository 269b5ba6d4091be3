using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// One key of a <see cref="TomlSourceTable"/> with the (1-based) line it was written on. Exactly one of
/// <see cref="Value"/>, <see cref="Table"/> and <see cref="Tables"/> is set.
/// </summary>
internal sealed class TomlSourceEntry
{
    private TomlSourceEntry(string key, int line, int lineBase)
    {
        Key = key;
        Line = line;
        LineBase = lineBase;
    }

    public string Key { get; }

    /// <summary>In the load's line space (<see cref="ConfigDiagnostics"/>).</summary>
    public int Line { get; }

    /// <summary>The base of the file the key was written in, for the lines of the items of an array value.</summary>
    public int LineBase { get; }

    /// <summary>A scalar or an array of scalars, as Tomlyn parsed it.</summary>
    public ValueSyntax? Value { get; private init; }

    /// <summary>A <c>[table]</c>, an inline table, or a table made implicitly by a dotted key.</summary>
    public TomlSourceTable? Table { get; private init; }

    /// <summary>An array of tables: <c>[[name]]</c> headers or an array of inline tables.</summary>
    public List<TomlSourceTable>? Tables { get; private init; }

    public static TomlSourceEntry ForValue(string key, int line, int lineBase, ValueSyntax value) => new(key, line, lineBase) { Value = value };

    public static TomlSourceEntry ForTable(string key, int line, int lineBase, TomlSourceTable table) => new(key, line, lineBase) { Table = table };

    public static TomlSourceEntry ForTables(string key, int line, int lineBase) => new(key, line, lineBase) { Tables = [] };

    /// <summary>The line of a node of this entry's value (an array item), in the load's line space.</summary>
    public int LineOf(SyntaxNodeBase node) => LineBase + node.Span.Start.Line + 1;

    /// <summary>How the value is spelled in messages: "must be an integer, not a string".</summary>
    public string Describe() =>
        Value is not null ? Describe(Value) : Table is not null ? "a table" : "an array of tables";

    public static string Describe(ValueSyntax value) => value switch
    {
        StringValueSyntax => "a string",
        IntegerValueSyntax => "an integer",
        FloatValueSyntax => "a float",
        BooleanValueSyntax => "a boolean",
        DateTimeValueSyntax => "a date-time",
        ArraySyntax => "an array",
        InlineTableSyntax => "a table",
        _ => "a value",
    };
}
