namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Tests that assert a duration (within a generous band) run alone, so another test's load on a
/// 2-core machine does not stretch their clock.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "timing-sensitive";
}
