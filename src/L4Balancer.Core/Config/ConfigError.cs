namespace L4Balancer.Core.Config;

/// <summary>One problem in a config file, printed as <c>FILE:LINE: message</c> (or <c>FILE: message</c> without a line).</summary>
internal sealed record ConfigError(string File, int? Line, string Message)
{
    public override string ToString() => Line is { } line ? $"{File}:{line}: {Message}" : $"{File}: {Message}";
}
