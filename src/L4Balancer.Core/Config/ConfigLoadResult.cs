using System.Diagnostics.CodeAnalysis;

namespace L4Balancer.Core.Config;

/// <summary>Either a valid snapshot or every error found (never both).</summary>
internal sealed record ConfigLoadResult(BalancerConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>
    /// Problems that do not stop the config from serving (a backend host name that does not resolve: that
    /// backend starts down). <c>check</c> prints them, <c>run</c> and a reload log them.
    /// </summary>
    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];

    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null && Errors.Count == 0;
}
