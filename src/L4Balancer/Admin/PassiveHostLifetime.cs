using Microsoft.Extensions.Hosting;

namespace L4Balancer.Admin;

/// <summary>
/// The admin web app lives inside the balancer's host, which owns the signals. Its default
/// ConsoleLifetime would also catch SIGTERM and stop the admin endpoint at once, while the balancer
/// still drains for minutes; this lifetime does nothing, so the admin endpoint stops when the host says.
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
