using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Logging;

/// <summary>
/// The config file's side of the log filter: <c>[global] log_level</c> as <c>LogLevel:Default</c> and the
/// host's own category defaults, as the first configuration source, so the environment's
/// <c>Logging__LogLevel__*</c> variables (added after it) win key by key, as environment variables win over
/// appsettings.json in ASP.NET. A reload sets the level again; the logger factory follows the change.
/// </summary>
internal sealed class LogLevelSource : ConfigurationProvider, IConfigurationSource
{
    public const string DefaultKey = "LogLevel:Default";

    /// <summary>Categories quieter than the default unless the environment says otherwise.</summary>
    private static readonly (string Category, LogLevel Level)[] CategoryDefaults =
    [
        // Kestrel logs two lines per request at Information; a scraper or a dashboard would flood the log.
        ("Microsoft.AspNetCore", LogLevel.Warning),

        // "Application started. Press Ctrl+C to shut down.", "Hosting environment: Production", "Content
        // root path: …", Kestrel's "Now listening on": framework noise beside the balancer's own lines.
        ("Microsoft.Hosting.Lifetime", LogLevel.Warning),

        // The generic host logs a failed start as "Hosting failed to start" with the whole stack trace;
        // the balancer reports a start failure in one line of its own (BalancerHost). Critical still
        // shows a background service that stops the host.
        ("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical),
    ];

    public LogLevelSource(LogLevel level) => Set(level);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>A reload's <c>log_level</c>: effective for every logger at once (the factory reloads its filter).</summary>
    public void Apply(LogLevel level)
    {
        if (Data[DefaultKey] != level.ToString())
        {
            Set(level);
            OnReload();
        }
    }

    private void Set(LogLevel level)
    {
        Data[DefaultKey] = level.ToString();

        // Quieter than the default, never louder: under log_level = "error" Kestrel's warnings go too.
        foreach (var (category, categoryLevel) in CategoryDefaults)
        {
            Data[$"LogLevel:{category}"] = (level > categoryLevel ? level : categoryLevel).ToString();
        }
    }
}
