namespace L4Balancer.Core.Limits;

/// <summary>One computation of the descriptor budget (see <see cref="DescriptorBudget"/>).</summary>
/// <param name="Limit">The soft RLIMIT_NOFILE it was computed from.</param>
/// <param name="Reserved">Descriptors kept for everything but proxied connections.</param>
/// <param name="MaxConnections">Proxied connections the rest can hold (at least 1).</param>
internal sealed record DescriptorFigures(long Limit, int Reserved, int MaxConnections);
