using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Hosting;

namespace L4Balancer.Hosting;

/// <summary>
/// Starts the engine (binding every listener before the host reports started, which is when
/// systemd gets READY=1) and drains it on stop.
/// </summary>
internal sealed class BalancerService(BalancerEngine engine, BalancerServiceOptions options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync(options.InitialConfig, options.Start);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await engine.StopAsync(cancellationToken).ConfigureAwait(false);
        await engine.DisposeAsync().ConfigureAwait(false);
    }
}
