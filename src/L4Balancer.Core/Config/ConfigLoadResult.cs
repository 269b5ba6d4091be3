using System.Diagnostics.CodeAnalysis;

namespace L4Balancer.Core.Config;

/// <summary>Either a valid snapshot or every error found (never both).</summary>
internal sealed record ConfigLoadResult(BalancerConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    /// <summary>What <c>check</c> prints after the summary (or with the errors): valid, but most likely not what was meant.</summary>
    public IReadOnlyList<ConfigError> Warnings { get; init; } = [];

    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null && Errors.Count == 0;
}
