using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace L4Balancer.Hosting;

/// <summary>
/// READY=1 once the host has started, i.e. after every hosted service's StartAsync (every listener bound,
/// the admin endpoint bound); STOPPING=1 as the stop begins (SPEC "Signals and systemd"). A binary
/// upgrade changes both (see <see cref="UpgradeState"/>): the successor's READY=1 comes with MAINPID= once
/// the handover is committed, and a process that handed over says nothing more.
/// </summary>
internal sealed class SystemdNotifyService(ISystemdNotifier notifier, IHostApplicationLifetime lifetime, BalancerEngine engine, UpgradeState upgrade) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (notifier.IsEnabled)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                if (!upgrade.DeferReady)
                {
                    notifier.Notify(SystemdStates.Ready(Status(engine)));
                }
            });
            lifetime.ApplicationStopping.Register(() =>
            {
                if (!upgrade.SuppressStopping)
                {
                    notifier.Notify(SystemdStates.Stopping($"draining {engine.Connections.Count} connection(s)"));
                }
            });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string Status(BalancerEngine engine) =>
        $"serving {engine.ListenerEndPoints.Count} listener(s), config generation {engine.CurrentOrNull?.Generation}";
}
