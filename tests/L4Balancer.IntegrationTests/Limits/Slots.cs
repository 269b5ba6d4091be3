using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

internal static class Slots
{
    /// <summary>
    /// Waits until every session has finished, then asserts that every limit slot was given back: no
    /// count is left over (a leak would refuse connections forever) and no per-IP entry remains (the
    /// maps hold only addresses with open connections).
    /// </summary>
    public static async Task AssertAllReleasedAsync(BalancerHarness balancer)
    {
        var engine = balancer.Engine;
        await Deadline.UntilAsync(() => engine.Connections.Count == 0, because: "every session to finish");
        var limits = engine.Limits;
        Assert.Equal(0, limits.Connections.Count);
        Assert.Equal(0, limits.ConnectionsPerIp.TrackedAddresses);
        Assert.Equal(0, limits.PendingHandshakes.Count);
        Assert.Equal(0, limits.PendingHandshakesPerIp.TrackedAddresses);
        Assert.All(engine.Current.Tenants.Values, t => Assert.Equal(0, t.Limits.Connections.Count));
    }
}
