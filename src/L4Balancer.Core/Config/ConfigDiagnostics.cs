namespace L4Balancer.Core.Config;

/// <summary>Collects every problem in one file, so the operator fixes them in one pass instead of one per try.</summary>
internal sealed class ConfigDiagnostics
{
    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigError> _warnings = [];

    public ConfigDiagnostics(string file)
    {
        File = file;
    }

    /// <summary>The file name as the operator wrote it.</summary>
    public string File { get; }

    public bool HasErrors => _errors.Count > 0;

    public void Add(int? line, string message) => _errors.Add(new ConfigError(File, line, message));

    /// <summary>A problem that does not make the file invalid (issue 17: a backend host name that does not resolve yet).</summary>
    public void Warn(int? line, string message) => _warnings.Add(new ConfigError(File, line, message));

    /// <summary>In line order, each once.</summary>
    public IReadOnlyList<ConfigError> Warnings => _warnings.Distinct().OrderBy(e => e.Line ?? 0).ToList();

    /// <summary>In line order (errors without a line first), each once; the order found does not matter.</summary>
    public IReadOnlyList<ConfigError> ToList() =>
        _errors.Distinct().OrderBy(e => e.Line ?? 0).ToList();
}
