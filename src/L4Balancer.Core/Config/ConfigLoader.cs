using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Reads and validates the TOML config: TOML syntax first (Tomlyn), then the schema and the
/// cross-references, reporting every problem as <c>FILE:LINE: message</c>.
/// </summary>
internal static partial class ConfigLoader
{
    /// <summary>
    /// The config file is read whole before parsing; a bound keeps a wrong path (a log, an image, a
    /// device) from filling the memory of a running balancer on reload. Real configs are kilobytes.
    /// </summary>
    public const int MaxConfigBytes = 16 * 1024 * 1024;

    /// <summary>How long one backend host name lookup may take (the resolver's own default timeout).</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// All lookups of one load together: a config naming many hosts behind a dead resolver must still
    /// fail <c>check</c> (and a reload) within seconds, not hosts × timeout.
    /// </summary>
    public static readonly TimeSpan LookupBudget = TimeSpan.FromSeconds(10);

    /// <param name="path">Used as written in messages; <see cref="BalancerConfig.SourcePath"/> gets the full path for reloads.</param>
    public static ConfigLoadResult LoadFile(string path)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
            return new ConfigLoadResult(null, [new ConfigError(path, null, $"cannot read the config file: {e.Message}")]);
        }

        if (!BoundedFile.TryRead(fullPath, MaxConfigBytes, out var bytes, out var error))
        {
            return new ConfigLoadResult(null, [new ConfigError(path, null, $"cannot read the config file: {error}")]);
        }

        var result = Parse(Decode(bytes), path);
        return result.IsValid ? result with { Config = result.Config with { SourcePath = fullPath } } : result;
    }

    /// <summary>As <see cref="File.ReadAllText(string)"/> decodes: UTF-8 unless a byte order mark says otherwise.</summary>
    private static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    public static ConfigLoadResult Parse(string text, string fileName)
    {
        var started = Stopwatch.GetTimestamp();
        return Parse(text, fileName, host =>
        {
            var left = LookupBudget - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"not looked up: the lookups of this config took more than {LookupBudget.TotalSeconds:0.#} s in all");
            }

            return ResolveHost(host, Dns.GetHostAddressesAsync, left < LookupTimeout ? left : LookupTimeout);
        });
    }

    /// <param name="resolveHost">DNS for backend host names; tests pass a fake one.</param>
    public static ConfigLoadResult Parse(string text, string fileName, Func<string, IPAddress[]> resolveHost)
    {
        var diagnostics = new ConfigDiagnostics(fileName);
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, fileName, validate: true);
        }
        catch (TomlException e)
        {
            // Tomlyn reports most problems as diagnostics but throws for some, e.g. arrays or inline
            // tables nested deeper than its limit (64): check died of that with exit 134 (issue 11).
            var depth = MaxDepth().Match(e.Message);
            if (depth.Success)
            {
                var limit = int.Parse(depth.Groups["depth"].Value, CultureInfo.InvariantCulture);
                diagnostics.Add(e.Line ?? TomlNesting.LineReaching(text, limit), $"arrays and inline tables are nested more than {limit - 1} deep");
            }
            else
            {
                diagnostics.Add(e.Line, Reword(e.Message));
            }

            return new ConfigLoadResult(null, diagnostics.ToList());
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException or IndexOutOfRangeException or NotSupportedException)
        {
            // A parser bug on odd input is still the input's problem to the operator, and must not
            // take a running balancer's reload (or check) down with it.
            diagnostics.Add(null, $"cannot parse the file as TOML: {e.Message}");
            return new ConfigLoadResult(null, diagnostics.ToList());
        }

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
            ? new ConfigLoadResult(null, diagnostics.ToList()) { Warnings = diagnostics.Warnings }
            : new ConfigLoadResult(config, []) { Warnings = diagnostics.Warnings };
    }

    /// <summary>
    /// <c>localhost</c> is loopback by definition (RFC 6761 §6.3), so it resolves without a resolver or
    /// an /etc/hosts entry: the example config and the demo must validate on an offline machine.
    /// Otherwise <paramref name="lookup"/> gets <paramref name="timeout"/>: getaddrinfo retries for as
    /// long as resolv.conf says (attempts × servers × timeout, easily half a minute per name), and
    /// <c>check</c> or a reload must not wait that long for an answer that will not come.
    /// </summary>
    /// <exception cref="TimeoutException">No answer within <paramref name="timeout"/>.</exception>
    public static IPAddress[] ResolveHost(string host, Func<string, CancellationToken, Task<IPAddress[]>> lookup, TimeSpan timeout)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback];
        }

        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            // The lookup may not honour the token (getaddrinfo cannot be interrupted); WaitAsync stops
            // waiting for it anyway, and the abandoned lookup ends on its own.
            return lookup(host, cancellation.Token).WaitAsync(timeout).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            throw new TimeoutException($"no answer within {timeout.TotalSeconds:0.###} s", e);
        }
    }

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

    [GeneratedRegex(@"maximum depth of (?<depth>\d+) has been exceeded")]
    private static partial Regex MaxDepth();

    [GeneratedRegex(@"^The key `(?<key>[^`]*)` is already defined at \((?<line>\d+),\d+\)", RegexOptions.Singleline)]
    private static partial Regex RedefinedKey();
}
