using System.Net;
using System.Text.RegularExpressions;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Reads and validates the TOML config: TOML syntax first (Tomlyn), then the schema and the
/// cross-references, reporting every problem as <c>FILE:LINE: message</c>.
/// </summary>
internal static partial class ConfigLoader
{
    /// <param name="path">Used as written in messages; <see cref="BalancerConfig.SourcePath"/> gets the full path for reloads.</param>
    public static ConfigLoadResult LoadFile(string path)
    {
        string text;
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or System.Security.SecurityException)
        {
            return new ConfigLoadResult(null, [new ConfigError(path, null, $"cannot read the config file: {e.Message}")]);
        }

        var result = Parse(text, path);
        return result.IsValid ? result with { Config = result.Config with { SourcePath = fullPath } } : result;
    }

    public static ConfigLoadResult Parse(string text, string fileName) => Parse(text, fileName, ResolveHost);

    /// <param name="resolveHost">DNS for backend host names; tests pass a fake one.</param>
    public static ConfigLoadResult Parse(string text, string fileName, Func<string, IPAddress[]> resolveHost)
    {
        var diagnostics = new ConfigDiagnostics(fileName);
        var document = SyntaxParser.Parse(text, fileName, validate: true);
        if (document.HasErrors)
        {
            // The tree of a document with syntax errors is partial; schema errors found in it would be noise.
            foreach (var message in document.Diagnostics)
            {
                if (message.Kind == DiagnosticMessageKind.Error)
                {
                    diagnostics.Add(message.Span.Start.Line + 1, Reword(message.Message));
                }
            }

            return new ConfigLoadResult(null, diagnostics.ToList());
        }

        var root = TomlSourceReader.Read(document, diagnostics);
        var config = new ConfigBinder(diagnostics, resolveHost, DirectoryOf(fileName)).Bind(root);
        return diagnostics.HasErrors
            ? new ConfigLoadResult(null, diagnostics.ToList())
            : new ConfigLoadResult(config, []);
    }

    /// <summary>
    /// <c>localhost</c> is loopback by definition (RFC 6761 §6.3), so it resolves without a resolver or
    /// an /etc/hosts entry: the example config and the demo must validate on an offline machine.
    /// </summary>
    public static IPAddress[] ResolveHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            ? [IPAddress.Loopback]
            : Dns.GetHostAddresses(host);

    /// <summary>The config file's directory; the working directory for text that came from no file (tests, the demo).</summary>
    private static string DirectoryOf(string fileName)
    {
        try
        {
            return Path.GetDirectoryName(Path.GetFullPath(fileName)) ?? Environment.CurrentDirectory;
        }
        catch (ArgumentException)
        {
            return Environment.CurrentDirectory;
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

    [GeneratedRegex(@"^The key `(?<key>[^`]*)` is already defined at \((?<line>\d+),\d+\)", RegexOptions.Singleline)]
    private static partial Regex RedefinedKey();
}
