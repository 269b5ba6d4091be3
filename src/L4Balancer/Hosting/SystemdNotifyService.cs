using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace L4Balancer.Hosting;

/// <summary>
/// READY=1 once the host has started, i.e. after every hosted service's StartAsync (every listener bound,
/// the admin endpoint bound); STOPPING=1 as the stop begins (SPEC "Signals and systemd").
/// </summary>
internal sealed class SystemdNotifyService(ISystemdNotifier notifier, IHostApplicationLifetime lifetime, BalancerEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (notifier.IsEnabled)
        {
            lifetime.ApplicationStarted.Register(() =>
                notifier.Notify(SystemdStates.Ready($"serving {engine.ListenerEndPoints.Count} listener(s), config generation {engine.CurrentOrNull?.Generation}")));
            lifetime.ApplicationStopping.Register(() =>
                notifier.Notify(SystemdStates.Stopping($"draining {engine.Connections.Count} connection(s)")));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
