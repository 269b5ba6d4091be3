using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// One key of a <see cref="TomlSourceTable"/> with the (1-based) line it was written on. Exactly one of
/// <see cref="Value"/>, <see cref="Table"/> and <see cref="Tables"/> is set.
/// </summary>
internal sealed class TomlSourceEntry
{
    private TomlSourceEntry(string key, int line)
    {
        Key = key;
        Line = line;
    }

    public string Key { get; }

    public int Line { get; }

    /// <summary>A scalar or an array of scalars, as Tomlyn parsed it.</summary>
    public ValueSyntax? Value { get; private init; }

    /// <summary>A <c>[table]</c>, an inline table, or a table made implicitly by a dotted key.</summary>
    public TomlSourceTable? Table { get; private init; }

    /// <summary>An array of tables: <c>[[name]]</c> headers or an array of inline tables.</summary>
    public List<TomlSourceTable>? Tables { get; private init; }

    public static TomlSourceEntry ForValue(string key, int line, ValueSyntax value) => new(key, line) { Value = value };

    public static TomlSourceEntry ForTable(string key, int line, TomlSourceTable table) => new(key, line) { Table = table };

    public static TomlSourceEntry ForTables(string key, int line) => new(key, line) { Tables = [] };

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
