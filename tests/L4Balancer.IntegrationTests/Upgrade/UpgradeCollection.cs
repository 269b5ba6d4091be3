namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Binary upgrade tests run alone: they start several balancer processes each, drive a few hundred
/// connections a second and count every refusal, which another test's load on a 2-core machine
/// (or its use of the ephemeral port range) would blur.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UpgradeCollection
{
    public const string Name = "upgrade";
}
