namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that measure the process's managed heap run alone: another test's 64 MiB buffers in the
/// same process would otherwise show up as "balancer memory".
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemorySensitiveCollection
{
    public const string Name = "memory-sensitive";
}
