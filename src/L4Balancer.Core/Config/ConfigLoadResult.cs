using System.Diagnostics.CodeAnalysis;

namespace L4Balancer.Core.Config;

/// <summary>Either a valid snapshot or every error found (never both).</summary>
internal sealed record ConfigLoadResult(BalancerConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    [MemberNotNullWhen(true, nameof(Config))]
    public bool IsValid => Config is not null && Errors.Count == 0;
}
