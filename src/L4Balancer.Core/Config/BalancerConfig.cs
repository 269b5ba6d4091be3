namespace L4Balancer.Core.Config;

/// <summary>One immutable, validated configuration snapshot. A reload builds a new one and swaps it whole.</summary>
internal sealed record BalancerConfig
{
    public GlobalConfig Global { get; init; } = new();
    public AdminConfig? Admin { get; init; }

    /// <summary>The <c>[cluster]</c> table; null = this instance is on its own.</summary>
    public ClusterConfig? Cluster { get; init; }
    public IReadOnlyList<ListenerConfig> Listeners { get; init; } = [];
    public IReadOnlyList<TenantConfig> Tenants { get; init; } = [];

    /// <summary>The files the config file included, as messages name them, in the order read (<c>check</c> lists them).</summary>
    public IReadOnlyList<string> IncludedFiles { get; init; } = [];

    /// <summary>The file this snapshot was read from, if any (reload reads it again).</summary>
    public string? SourcePath { get; init; }

    public TenantConfig? FindTenant(string name) =>
        Tenants.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
}
