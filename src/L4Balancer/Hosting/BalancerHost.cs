using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace L4Balancer.Hosting;

/// <summary>Builds and runs the generic host around one <see cref="BalancerEngine"/>.</summary>
internal static class BalancerHost
{
    /// <summary>Runs until SIGTERM/SIGINT; returns the process exit code (SPEC: 0 after a clean drain, 1 fatal).</summary>
    public static async Task<int> RunAsync(BalancerConfig config, LogFormat format, string? configPath, Action<BalancerEngine>? onStarted = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        ConfigureLogging(builder.Logging, format);

        // UseSystemd: Type=notify readiness (READY=1 once StartAsync, i.e. every bind, has completed)
        // and STOPPING=1; a no-op outside systemd.
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o =>
        {
            // The host must not cut the drain short: give it drain_timeout plus time to close the rest.
            o.ShutdownTimeout = ShutdownTimeoutFor(config);
        });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new BalancerEngine(sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(new BalancerServiceOptions(config, configPath));
        builder.Services.AddSingleton<IReloadNotifier>(sp => new SystemdReloadNotifier(sp.GetService<ISystemdNotifier>()));
        builder.Services.AddSingleton<ConfigReloader>();
        builder.Services.AddSingleton<IConfigReloader>(sp => sp.GetRequiredService<ConfigReloader>());
        // Hosted services start in order: SIGHUP is handled before the listeners are announced, so a
        // reload sent as soon as the process says it is listening cannot hit SIGHUP's default (exit).
        builder.Services.AddHostedService<SighupHandler>();
        builder.Services.AddHostedService<BalancerService>();

        using var host = builder.Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("L4Balancer");
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (ListenerBindException ex)
        {
            HostLog.BindFailed(logger, ex.Message);
            Console.Error.WriteLine($"l4balancer: {ex.Message}");
            return Program.ExitFatal;
        }

        onStarted?.Invoke(host.Services.GetRequiredService<BalancerEngine>());
        await host.WaitForShutdownAsync().ConfigureAwait(false);
        return Program.ExitOk;
    }

    /// <summary>The host must not cut the drain short: <c>drain_timeout</c> plus time to close the rest.</summary>
    public static TimeSpan ShutdownTimeoutFor(BalancerConfig config) => config.Global.DrainTimeout + TimeSpan.FromSeconds(10);

    private static void ConfigureLogging(ILoggingBuilder logging, LogFormat format)
    {
        logging.SetMinimumLevel(LogLevel.Information);

        // One access-log line per connection goes through the console logger's queue. When the sink
        // stalls (a slow journal, a blocked pipe) the default mode waits for room, and with inline
        // socket completions (RuntimeTuning) the waiting thread is an epoll thread: every connection
        // it serves would stall behind a log line. A deep queue absorbs bursts; past it, lines are
        // dropped and the logger says how many, as HAProxy's UDP syslog would.
        logging.Services.Configure<ConsoleLoggerOptions>(o =>
        {
            o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
            o.MaxQueueLength = 16 * 1024;
        });
        if (format == LogFormat.Json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    }
}
