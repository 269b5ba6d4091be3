using L4Balancer.Admin;
using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Runtime;
using L4Balancer.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

/// <summary>Builds and runs the generic host around one <see cref="BalancerEngine"/>.</summary>
internal static class BalancerHost
{
    /// <summary>Runs until SIGTERM/SIGINT; returns the process exit code (SPEC: 0 after a clean drain, 1 fatal).</summary>
    /// <param name="successor">Set when this process takes over from a running one (SIGUSR2 upgrade): the sockets and state it handed over.</param>
    /// <param name="activated">Listening sockets systemd passed (socket activation, LISTEN_FDS), or null.</param>
    public static async Task<int> RunAsync(BalancerConfig config, LogFormat format, string? configPath, Action<BalancerEngine>? onStarted = null, UpgradeSuccessor? successor = null, AdoptedSockets? activated = null)
    {
        // Before any socket exists: the descriptor budget is computed from the raised limit.
        var nofile = DescriptorLimit.RaiseSoftToHard();
        var spares = OperatingSystem.IsLinux() ? SpareDescriptors.Open() : null;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var logLevels = new LogLevelSource(config.Global.LogLevel);
        LoggingSetup.Configure(builder.Logging, format, logLevels);
        builder.Services.AddSingleton(logLevels);

        // Type=notify: READY=1 once every hosted service has started (every listener and the admin
        // endpoint bound), STOPPING=1 at shutdown; sent whenever NOTIFY_SOCKET is set (see SdNotifier for
        // why not AddSystemd). The reload path sends RELOADING=1/READY=1 through ISystemdNotifier.
        builder.Services.AddSingleton(_ => SdNotifier.FromEnvironment());
        builder.Services.AddSingleton<ISystemdNotifier>(sp => sp.GetRequiredService<SdNotifier>());
        builder.Services.AddHostedService<SystemdNotifyService>();
        builder.Services.Configure<HostOptions>(o =>
        {
            // The host must not cut the drain short: give it drain_timeout plus time to close the rest.
            o.ShutdownTimeout = ShutdownTimeoutFor(config);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new BalancerEngine(sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>(), descriptorLimit: DescriptorLimit.ReadSoft, spares: spares));
        builder.Services.AddSingleton<IBalancerState>(sp => sp.GetRequiredService<BalancerEngine>());
        builder.Services.AddSingleton<IBalancerCommands>(sp => sp.GetRequiredService<BalancerEngine>());
        var start = successor?.State is { } handed
            ? new EngineStart((handed.Generation ?? 0) + 1, handed.Drains ?? [], successor.Adopted) { Weights = handed.Weights ?? [] }
            : activated is not null ? EngineStart.Fresh with { Adopted = activated } : EngineStart.Fresh;
        var upgrade = new UpgradeState(successor);
        builder.Services.AddSingleton(upgrade);
        builder.Services.AddSingleton(new BalancerServiceOptions(config, configPath, start));
        builder.Services.AddSingleton<IReloadNotifier>(sp => new SystemdReloadNotifier(sp.GetService<ISystemdNotifier>()));
        builder.Services.AddSingleton<ConfigReloader>();
        builder.Services.AddSingleton<IConfigReloader>(sp => sp.GetRequiredService<ConfigReloader>());

        // Registered before the engine's service: hosted services start in order and stop in reverse, so the
        // admin endpoint is bound before READY=1 and stays up while the engine drains.
        if (config.Admin is { } admin)
        {
            builder.Services.AddAdminEndpoint(admin, successor?.Adopted ?? activated);
        }

        // SIGHUP's default action terminates the process: take it over before any listener binds, so a
        // reload signal sent the moment the log says "accepting" cannot kill the balancer.
        builder.Services.AddHostedService<SighupHandler>();
        if (OperatingSystem.IsLinux())
        {
            // SIGUSR2 = binary upgrade (refused by the demo, which has no config file: but never the
            // signal's default action, which would terminate the process).
            builder.Services.AddHostedService<UpgradeCoordinator>();
        }

        builder.Services.AddHostedService<BalancerService>();

        var host = builder.Build();
        try
        {
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("L4Balancer");
            if (nofile is { } raise && raise.After != raise.Before)
            {
                HostLog.DescriptorLimitRaised(logger, raise.Before, raise.After);
            }

            if (activated is not null)
            {
                HostLog.ActivatedSockets(logger, activated.Count);
            }

            try
            {
                await host.StartAsync().ConfigureAwait(false);
            }
            catch (BindFailedException ex)
            {
                // One line, on stderr (issue 17: it was the host's "Hosting failed to start" with a stack
                // trace and source paths, then this reason twice, in the log and on stderr).
                JournalStream.WriteFatal(ex.Message);
                if (successor is not null)
                {
                    await successor.FailAsync([ex.Message], CancellationToken.None).ConfigureAwait(false);
                }

                return ExitCodes.Fatal;
            }

            var engine = host.Services.GetRequiredService<BalancerEngine>();
            if (activated is not null)
            {
                foreach (var unused in activated.Unclaimed())
                {
                    HostLog.ActivatedSocketUnused(logger, unused.Name, unused.EndPoint);
                }

                activated.Dispose();
            }
            if (host.Services.GetService<IAdminHandover>() is { } adminHandover)
            {
                // A plain SIGTERM (not an upgrade): the admin socket goes to a successor started during the drain.
                host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() =>
                {
                    if (!upgrade.SuppressStopping)
                    {
                        adminHandover.OfferToSuccessor();
                    }
                });
            }

            if (successor is not null && !await CompleteTakeoverAsync(host, engine, successor, upgrade, config, logger).ConfigureAwait(false))
            {
                await host.WaitForShutdownAsync().ConfigureAwait(false);
                return ExitCodes.Fatal;
            }

            onStarted?.Invoke(engine);
            await host.WaitForShutdownAsync().ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        finally
        {
            // The admin endpoint's web app only disposes asynchronously.
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                host.Dispose();
            }
        }
    }

    /// <summary>
    /// This process accepts on every socket now: tell the predecessor, and on its commit become the
    /// service (MAINPID= and READY=1 to systemd, the predecessor's upgrade counts carried). If the
    /// predecessor calls it off, stop accepting (the sockets stay the predecessor's) and drain whatever
    /// was accepted meanwhile, then exit 1.
    /// </summary>
    private static async Task<bool> CompleteTakeoverAsync(IHost host, BalancerEngine engine, UpgradeSuccessor successor, UpgradeState upgrade, BalancerConfig config, ILogger logger)
    {
        // Sockets this config does not use are closed here; the predecessor's copies keep them open.
        successor.Adopted?.Dispose();
        (bool Committed, string? Reason) verdict;
        try
        {
            // The predecessor decides within its upgrade_timeout; this bound only guards against a hang.
            using var wait = new CancellationTokenSource(config.Global.UpgradeTimeout + TimeSpan.FromSeconds(10));
            verdict = await successor.ReadyAsync(wait.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException or InvalidDataException or System.Text.Json.JsonException)
        {
            verdict = (false, ex is EndOfStreamException ? "it closed the handover channel" : ex.Message);
        }
        finally
        {
            successor.Dispose();
        }

        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        if (!verdict.Committed)
        {
            upgrade.Aborted = true;
            UpgradeLog.CalledOff(logger, successor.ParentPid, verdict.Reason ?? "no reason given");
            lifetime.StopApplication();
            return false;
        }

        var state = successor.State!;
        engine.CompleteTakeover(successor.ParentPid, state.UpgradesOk ?? 0, state.UpgradesError ?? 0);
        UpgradeLog.TookOver(logger, successor.ParentPid, engine.Generation);
        if (host.Services.GetService<ISystemdNotifier>() is { IsEnabled: true } notifier)
        {
            notifier.Notify(SystemdStates.TookOver(Environment.ProcessId, SystemdNotifyService.Status(engine)));
        }

        return true;
    }

    /// <summary>The host must not cut the drain short: <c>drain_timeout</c> plus time to close the rest.</summary>
    public static TimeSpan ShutdownTimeoutFor(BalancerConfig config) => config.Global.DrainTimeout + TimeSpan.FromSeconds(10);
}
