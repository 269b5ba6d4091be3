namespace L4Balancer.Core.Config;

/// <summary>
/// Collects every problem of one load (the main file and the files it includes), so the operator fixes
/// them in one pass instead of one per try, and the warnings <c>check</c> prints.
/// </summary>
/// <remarks>
/// Lines in the folded tree are numbers in one line space for all the files of a load, as Go's
/// <c>go/token.FileSet</c> does with positions: the main file's lines are themselves, and each included
/// file gets the range after the previous one (<see cref="AddFile"/>). So everything that carries a line
/// (<see cref="TomlSourceEntry"/>, <see cref="LocatedString"/>, the binder's messages) stays an
/// <c>int</c>, and only here is it turned back into a file and a line of that file.
/// </remarks>
internal sealed class ConfigDiagnostics
{
    private readonly List<(long Order, ConfigError Error)> _errors = [];
    private readonly List<(long Order, ConfigError Warning)> _warnings = [];

    /// <summary>Ordered by <c>Base</c>; file i holds the lines <c>Base + 1</c> to <c>Base + Lines</c>.</summary>
    private readonly List<(int Base, int Lines, string File)> _files = [];

    public ConfigDiagnostics(string file)
    {
        File = file;
    }

    /// <summary>The main file's name as the operator wrote it.</summary>
    public string File { get; }

    public bool HasErrors => _errors.Count > 0;

    /// <summary>The lines used so far; the next file's lines start after it.</summary>
    public int LinesUsed => _files.Count == 0 ? 0 : _files[^1].Base + _files[^1].Lines;

    /// <summary>Gives <paramref name="file"/> the next range of lines and returns its base (its line N is <c>base + N</c>).</summary>
    public int AddFile(string file, string text)
    {
        var lines = 1;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                lines++;
            }
        }

        var lineBase = LinesUsed;
        _files.Add((lineBase, lines, file));
        return lineBase;
    }

    /// <param name="line">A line in the load's line space, or null for the main file as a whole.</param>
    public void Add(int? line, string message) => _errors.Add(Located(line, message));

    /// <summary>A problem in <paramref name="file"/> at its own <paramref name="line"/> (or the file as a whole).</summary>
    public void AddIn(string file, int lineBase, int? line, string message) =>
        _errors.Add((lineBase + (line ?? 0), new ConfigError(file, line, message)));

    /// <summary>Not an error: <c>check</c> prints it, run and reload log it, and the config is still used.</summary>
    public void Warn(int? line, string message) => _warnings.Add(Located(line, message));

    public void WarnIn(string file, int lineBase, int? line, string message) =>
        _warnings.Add((lineBase + (line ?? 0), new ConfigError(file, line, message)));

    /// <summary>
    /// How a message refers to another line: <c>on line 4</c> in the same file as <paramref name="from"/>,
    /// <c>in tenants.d/acme.toml:4</c> in another, so a clash across files names both of them.
    /// </summary>
    public string Refer(int line, int from)
    {
        var (file, local) = Locate(line);
        return string.Equals(file, Locate(from).File, StringComparison.Ordinal) ? $"on line {local}" : $"in {file}:{local}";
    }

    /// <summary>In file and line order (a file's errors without a line first), each once; the order found does not matter.</summary>
    public IReadOnlyList<ConfigError> ToList() => Sorted(_errors);

    public IReadOnlyList<ConfigError> Warnings() => Sorted(_warnings);

    private static List<ConfigError> Sorted(List<(long Order, ConfigError Error)> list) =>
        list.Distinct().OrderBy(e => e.Order).Select(e => e.Error).ToList();

    private (long, ConfigError) Located(int? line, string message)
    {
        if (line is not { } global)
        {
            return (0, new ConfigError(File, null, message));
        }

        var (file, local) = Locate(global);
        return (global, new ConfigError(file, local, message));
    }

    private (string File, int Line) Locate(int line)
    {
        for (var i = _files.Count - 1; i >= 0; i--)
        {
            if (line > _files[i].Base)
            {
                return (_files[i].File, line - _files[i].Base);
            }
        }

        return (File, line);
    }
}
