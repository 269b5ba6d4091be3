using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

internal static partial class HostLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "reload: no config file to reload (demo runs on its embedded config)")]
    public static partial void ReloadWithoutFile(ILogger logger);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "reload: config invalid, keeping the running config: {Error}")]
    public static partial void ReloadInvalid(ILogger logger, string error);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "reload: config warning: {Warning}")]
    public static partial void ReloadWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "reload: {Path} applied, config generation {Generation}")]
    public static partial void Reloaded(ILogger logger, string path, long generation);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "SIGHUP: reloading the config file")]
    public static partial void SighupReceived(ILogger logger);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "reload failed unexpectedly; the running config is unchanged")]
    public static partial void ReloadFaulted(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "open-files soft limit raised from {Before} to the hard limit {After}")]
    public static partial void DescriptorLimitRaised(ILogger logger, long before, long after);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "socket activation: systemd passed {Name} ({EndPoint}), which no listener of the config uses; closed here (systemd keeps its copy)")]
    public static partial void ActivatedSocketUnused(ILogger logger, string name, string endPoint);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "socket activation: {Count} socket(s) from systemd")]
    public static partial void ActivatedSockets(ILogger logger, int count);
}
