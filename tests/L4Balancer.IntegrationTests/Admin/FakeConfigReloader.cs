using L4Balancer.Hosting;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>Stands in for the real reloader (IConfigReloader is the contract) and answers what the test says.</summary>
internal sealed class FakeConfigReloader(ReloadOutcome outcome) : IConfigReloader
{
    public int Calls { get; private set; }

    public Task<ReloadOutcome> ReloadAsync(CancellationToken cancellationToken)
    {
        Calls++;
        return Task.FromResult(outcome);
    }
}
