using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

internal static partial class HostLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Critical, Message = "{Message}")]
    public static partial void BindFailed(ILogger logger, string message);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "SIGHUP: no config file to reload (demo runs on its embedded config)")]
    public static partial void ReloadWithoutFile(ILogger logger);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "SIGHUP: config invalid, keeping the running config: {Error}")]
    public static partial void ReloadError(ILogger logger, string error);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "SIGHUP: {Path} is valid, but applying a new config without a restart is not available yet; the running config is unchanged")]
    public static partial void ReloadNotApplied(ILogger logger, string path);
}
