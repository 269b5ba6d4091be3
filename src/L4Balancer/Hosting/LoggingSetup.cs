using L4Balancer.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace L4Balancer.Hosting;

/// <summary>
/// The process's log: one console sink in the chosen format, filtered by <c>[global] log_level</c> and the
/// environment's <c>Logging__LogLevel__*</c> variables (the environment wins, see <see cref="LogLevelSource"/>).
/// </summary>
internal static class LoggingSetup
{
    /// <summary>The prefix of the variables read, as ASP.NET reads them (<c>Logging__LogLevel__Default=Debug</c>).</summary>
    public const string EnvironmentPrefix = "Logging__";

    public static void Configure(ILoggingBuilder logging, LogFormat format, LogLevelSource levels)
    {
        logging.ClearProviders();

        // The file's level (and the host's quiet categories) first, the environment after: later sources
        // win key by key, so Logging__LogLevel__Default overrides log_level and
        // Logging__LogLevel__Microsoft.Hosting.Lifetime=Information brings the framework's lines back.
        var filter = new ConfigurationBuilder()
            .Add(levels)
            .AddEnvironmentVariables(EnvironmentPrefix)
            .Build();
        logging.AddConfiguration(filter);

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

        var journal = JournalStream.IsConnected;
        if (format == LogFormat.Json)
        {
            logging.AddConsole(o => o.FormatterName = JsonLogFormatter.FormatterName);
            logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter>(new JsonLogFormatter(journal, TimeProvider.System)));
        }
        else if (journal)
        {
            // "<6>category[id] message": the journal records each line's priority and keeps its own timestamp.
            logging.AddSystemdConsole(o => o.UseUtcTimestamp = true);
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
