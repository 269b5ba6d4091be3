namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// The .deb test runs alone: its Native AOT compile keeps both cores of a 2-core machine busy for a
/// minute or two, which would starve the timing-sensitive tests running beside it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PackageBuildCollection
{
    public const string Name = "package-build";
}
