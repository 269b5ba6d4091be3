using System.Globalization;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>TOML syntax of one file (Tomlyn), its problems reported as the operator should read them.</summary>
internal static partial class TomlText
{
    /// <param name="file">The file as messages name it.</param>
    /// <param name="lineBase">Its base in the load's line space (<see cref="ConfigDiagnostics.AddFile"/>).</param>
    /// <returns>The syntax tree, or null when the text is not valid TOML (every problem reported).</returns>
    public static DocumentSyntax? Parse(string text, string file, int lineBase, ConfigDiagnostics diagnostics)
    {
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, file, validate: true);
        }
        catch (TomlException e)
        {
            // Tomlyn reports most problems as diagnostics but throws for some, e.g. arrays or inline
            // tables nested deeper than its limit (64): check died of that with exit 134 (issue 11).
            var depth = MaxDepth().Match(e.Message);
            if (depth.Success)
            {
                var limit = int.Parse(depth.Groups["depth"].Value, CultureInfo.InvariantCulture);
                diagnostics.AddIn(file, lineBase, e.Line ?? TomlNesting.LineReaching(text, limit), $"arrays and inline tables are nested more than {limit - 1} deep");
            }
            else
            {
                diagnostics.AddIn(file, lineBase, e.Line, Reword(e.Message));
            }

            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException or NotSupportedException)
        {
            // A parser bug on odd input is still the input's problem to the operator, and must not
            // take a running balancer's reload (or check) down with it.
            diagnostics.AddIn(file, lineBase, null, $"cannot parse the file as TOML: {e.Message}");
            return null;
        }

        if (!document.HasErrors)
        {
            return document;
        }

        // The tree of a document with syntax errors is partial; schema errors found in it would be noise.
        foreach (var (line, message) in FirstErrorPerTable(document))
        {
            diagnostics.AddIn(file, lineBase, line, Reword(message));
        }

        return null;
    }

    /// <summary>
    /// Tomlyn goes on after a syntax error, and what it reads next is often an echo of it: a header
    /// missing its <c>]</c> gave five errors on three lines, an unclosed string a dozen down to the end
    /// of the file (issue 17). So only the first error of each table is reported: a table starts at a
    /// header Tomlyn recognized (the top-level keys are one more), and a header swallowed by an unclosed
    /// string is no boundary. Independent mistakes in different tables are still all reported at once;
    /// a second one in the same table shows once the first is fixed.
    /// </summary>
    private static IEnumerable<(int Line, string Message)> FirstErrorPerTable(DocumentSyntax document)
    {
        var headers = document.Tables.Select(t => t.Span.Start.Line + 1).Order().ToList();
        var reported = new HashSet<int>();
        foreach (var message in document.Diagnostics.Where(m => m.Kind == DiagnosticMessageKind.Error).OrderBy(m => m.Span.Start.Line))
        {
            var line = message.Span.Start.Line + 1;
            var table = headers.LastOrDefault(h => h <= line);
            if (reported.Add(table))
            {
                yield return (line, message.Message);
            }
        }
    }

    /// <summary>
    /// Tomlyn quotes the whole earlier definition (a table with all its keys, newlines shown as ␤) when a
    /// key is redefined; the line of the first definition is all the operator needs.
    /// </summary>
    private static string Reword(string message)
    {
        var match = RedefinedKey().Match(message);
        return match.Success
            ? $"key \"{match.Groups["key"].Value}\" is already defined on line {match.Groups["line"].Value}"
            : message;
    }

    [GeneratedRegex(@"maximum depth of (?<depth>\d+) has been exceeded")]
    private static partial Regex MaxDepth();

    [GeneratedRegex(@"^The key `(?<key>[^`]*)` is already defined at \((?<line>\d+),\d+\)", RegexOptions.Singleline)]
    private static partial Regex RedefinedKey();
}
