namespace L4Balancer.Core.Config;

/// <summary>The <c>[tenant.health]</c> table: TCP connect checks.</summary>
internal sealed record HealthConfig
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
    public int Rise { get; init; } = 2;
    public int Fall { get; init; } = 3;
}
