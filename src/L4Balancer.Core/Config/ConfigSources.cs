using System.Text;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Reads the main file and everything it includes (issue 17) into one folded tree: TOML syntax per
/// file, <c>${NAME}</c> substitution, and <c>include = ["tenants.d/*.toml"]</c> expanded in place.
/// </summary>
/// <remarks>
/// An included file holds <c>[[tenant]]</c> and <c>[[listener]]</c> tables and may include further
/// files (as HAProxy's and nginx's includes nest). Its tables come where its <c>include</c> is: a file's
/// included tables first, in the order of the patterns and of each pattern's sorted matches, then the
/// file's own. A file included twice, a cycle, nesting deeper than <see cref="MaxIncludeDepth"/> and
/// more than <see cref="MaxIncludedFiles"/> files are errors; all files together are read within
/// <see cref="ConfigLoader.MaxConfigBytes"/>, as the main file alone was.
/// </remarks>
internal sealed class ConfigSources
{
    /// <summary>Hundreds of tenants, one file each, fit; a pattern that reaches a whole file system does not.</summary>
    public const int MaxIncludedFiles = 4096;

    /// <summary>Enough for any layout a person would keep; deeper is most likely a loop through a symbolic link.</summary>
    public const int MaxIncludeDepth = 8;

    private static readonly string[] IncludedKeys = ["tenant", "listener", "include"];

    private readonly ConfigDiagnostics _diagnostics;
    private readonly Func<string, string?> _environment;

    /// <summary>Every file read so far (full path) and the line of the include that brought it in.</summary>
    private readonly Dictionary<string, int> _included = new(StringComparer.Ordinal);

    private readonly List<string> _files = [];

    private int _bytesLeft;

    private ConfigSources(ConfigDiagnostics diagnostics, Func<string, string?> environment, int bytesLeft)
    {
        _diagnostics = diagnostics;
        _environment = environment;
        _bytesLeft = bytesLeft;
    }

    /// <summary>
    /// True when a file could not be read or parsed, or a <c>${NAME}</c> not substituted: the tree is
    /// then missing parts (or holds raw <c>${...}</c>), and the binder's errors about it would be noise.
    /// </summary>
    private bool Incomplete { get; set; }

    /// <param name="text">The main file's text.</param>
    /// <param name="fileName">The main file as the operator wrote it.</param>
    /// <param name="bytesLeft">What the included files may add up to.</param>
    /// <returns>
    /// The folded tree (null when the main file is not valid TOML), whether it is incomplete (and must
    /// not be bound), and the included files as messages name them, in the order read.
    /// </returns>
    public static (TomlSourceTable? Root, bool Incomplete, IReadOnlyList<string> Included) Read(string text, string fileName, ConfigDiagnostics diagnostics, Func<string, string?> environment, int bytesLeft)
    {
        var sources = new ConfigSources(diagnostics, environment, bytesLeft);
        var fullPath = FullPathOf(fileName);
        var root = sources.ReadFile(text, fileName, fullPath, [(fileName, fullPath)]);
        return (root, sources.Incomplete || root is null, sources._files);
    }

    private static string FullPathOf(string fileName)
    {
        try
        {
            return Path.GetFullPath(fileName);
        }
        catch (ArgumentException)
        {
            return Path.Join(Environment.CurrentDirectory, fileName);
        }
    }

    /// <param name="chain">The includes that led here, the main file first (for cycles).</param>
    private TomlSourceTable? ReadFile(string text, string display, string fullPath, List<(string Display, string FullPath)> chain)
    {
        var lineBase = _diagnostics.AddFile(display, text);
        if (TomlText.Parse(text, display, lineBase, _diagnostics) is not { } document)
        {
            Incomplete = true;
            return null;
        }

        var root = TomlSourceReader.Read(document, _diagnostics, lineBase, _environment, out var substitutionFailed);
        Incomplete |= substitutionFailed;
        if (chain.Count > 1)
        {
            CheckIncludedFile(root);
        }

        // With a variable missing, a pattern may be missing its directory; the files it names are
        // read once the environment is right.
        if (root.Find("include") is { } include && !substitutionFailed)
        {
            Expand(root, include, display, fullPath, chain);
        }

        return root;
    }

    /// <summary>The main file's tables (<c>[global]</c>, <c>[admin]</c>, …) stay in the main file: there is one of each.</summary>
    private void CheckIncludedFile(TomlSourceTable root)
    {
        foreach (var entry in root.Entries)
        {
            if (entry.Key is "tenant" or "listener")
            {
                if (entry.Tables is null)
                {
                    _diagnostics.Add(entry.Line, $"{entry.Key} must be an array of tables ([[{entry.Key}]]), not {entry.Describe()}");
                }

                continue;
            }

            if (entry.Key == "include")
            {
                continue;
            }

            var what = entry.Table is not null ? $"[{entry.Key}]" : entry.Tables is not null ? $"[[{entry.Key}]]" : $"key \"{entry.Key}\"";
            var hint = KeySuggestion.Closest(entry.Key, IncludedKeys) is { } suggestion ? $" (did you mean \"{suggestion}\"?)" : "";
            _diagnostics.Add(entry.Line, $"{what} is not allowed in an included file: it may hold only [[tenant]] and [[listener]] tables and include{hint}");
        }
    }

    private void Expand(TomlSourceTable root, TomlSourceEntry include, string display, string fullPath, List<(string Display, string FullPath)> chain)
    {
        if (include.Value is not ArraySyntax array)
        {
            _diagnostics.Add(include.Line, $"include must be an array of strings, e.g. include = [\"tenants.d/*.toml\"], not {include.Describe()}");
            Incomplete = true;
            return;
        }

        var displayDirectory = Path.GetDirectoryName(display) ?? "";
        var fullDirectory = Path.GetDirectoryName(fullPath) ?? "/";
        var tenants = new List<TomlSourceTable>();
        var listeners = new List<TomlSourceTable>();
        foreach (var item in array.Items)
        {
            if (item.Value is not { } value)
            {
                continue;
            }

            var line = include.LineOf(value);
            if (value is not StringValueSyntax { Value: { } pattern })
            {
                _diagnostics.Add(line, $"include must contain only strings, not {TomlSourceEntry.Describe(value)}");
                Incomplete = true;
                continue;
            }

            if (pattern.Length == 0)
            {
                _diagnostics.Add(line, "include \"\": an empty path includes nothing");
                Incomplete = true;
                continue;
            }

            var matches = IncludeGlob.Expand(pattern, displayDirectory, fullDirectory, MaxIncludedFiles - _included.Count, out var error);
            if (error is not null)
            {
                _diagnostics.Add(line, $"include \"{pattern}\" {error} (at most {MaxIncludedFiles} files are included in all)");
                Incomplete = true;
                continue;
            }

            if (matches.Count == 0)
            {
                // nginx accepts a pattern that matches nothing (a fleet's tenants.d may be empty for a
                // while); check says so, in case the directory's name is what is wrong.
                _diagnostics.Warn(line, $"include \"{pattern}\" matches no file");
                continue;
            }

            foreach (var match in matches)
            {
                if (IncludeOne(match, pattern, line, chain) is not { } included)
                {
                    continue;
                }

                Take(included, "tenant", tenants);
                Take(included, "listener", listeners);
            }
        }

        Merge(root, "tenant", tenants, include);
        Merge(root, "listener", listeners, include);
    }

    private TomlSourceTable? IncludeOne(IncludeGlob.Match match, string pattern, int line, List<(string Display, string FullPath)> chain)
    {
        var cycle = chain.FindIndex(c => string.Equals(c.FullPath, match.FullPath, StringComparison.Ordinal));
        if (cycle >= 0)
        {
            var names = chain.Skip(cycle).Select(c => c.Display).Append(match.Display);
            Fail(line, $"include \"{pattern}\": include cycle: {string.Join(" -> ", names)}");
            return null;
        }

        if (_included.TryGetValue(match.FullPath, out var first))
        {
            Fail(line, $"include \"{pattern}\": \"{match.Display}\" is included twice (first {_diagnostics.Refer(first, line)})");
            return null;
        }

        if (chain.Count > MaxIncludeDepth)
        {
            Fail(line, $"include \"{pattern}\": includes are nested more than {MaxIncludeDepth} deep");
            return null;
        }

        if (_included.Count >= MaxIncludedFiles)
        {
            Fail(line, $"include \"{pattern}\": more than {MaxIncludedFiles} files are included in all");
            return null;
        }

        _included[match.FullPath] = line;
        if (!BoundedFile.TryRead(match.FullPath, _bytesLeft, out var bytes, out var error, out var tooLarge))
        {
            var why = tooLarge && _bytesLeft < ConfigLoader.MaxConfigBytes
                ? $"the config file and its includes are larger than {ConfigLoader.MaxConfigBytes / (1024 * 1024)} MiB together"
                : error;
            Fail(line, $"include \"{pattern}\": cannot read \"{match.Display}\": {why}");
            return null;
        }

        _bytesLeft -= bytes.Length;
        _files.Add(match.Display);
        return ReadFile(Decode(bytes), match.Display, match.FullPath, [.. chain, (match.Display, match.FullPath)]);
    }

    private void Fail(int line, string message)
    {
        _diagnostics.Add(line, message);
        Incomplete = true;
    }

    private static void Take(TomlSourceTable included, string key, List<TomlSourceTable> into)
    {
        if (included.Find(key)?.Tables is { } tables)
        {
            into.AddRange(tables);
        }
    }

    /// <summary>The included tables go before the file's own, where the <c>include</c> is written.</summary>
    private static void Merge(TomlSourceTable root, string key, List<TomlSourceTable> included, TomlSourceEntry include)
    {
        if (included.Count == 0)
        {
            return;
        }

        var entry = root.Find(key);
        if (entry is null)
        {
            entry = TomlSourceEntry.ForTables(key, include.Line, include.LineBase);
            root.TryAdd(entry);
        }

        // A key of the wrong shape in this file has its own error; there is nothing to merge into.
        entry.Tables?.InsertRange(0, included);
    }

    /// <summary>As <see cref="File.ReadAllText(string)"/> decodes: UTF-8 unless a byte order mark says otherwise.</summary>
    public static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }
}
