using L4Balancer.Core.Runtime;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>Stands in for the real reloader (IConfigReloader is the contract) and answers what the test says.</summary>
internal sealed class FakeConfigReloader(ReloadResult result) : IConfigReloader
{
    public int Calls { get; private set; }

    public Task<ReloadResult> ReloadAsync(CancellationToken cancellationToken)
    {
        Calls++;
        return Task.FromResult(result);
    }
}
