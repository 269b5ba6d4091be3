using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

internal static partial class UpgradeLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "SIGUSR2: upgrading (starting a new process that takes the listening sockets over)")]
    public static partial void Signalled(ILogger logger);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "upgrade: started pid {Pid} ({Path})")]
    public static partial void Started(ILogger logger, int pid, string path);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "upgrade: handed over to pid {Pid} (generation {Generation}); draining {Count} connection(s)")]
    public static partial void HandedOver(ILogger logger, int pid, long generation, int count);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Error, Message = "upgrade: failed: {Reason}; still serving (pid {Pid}, generation {Generation})")]
    public static partial void Failed(ILogger logger, string reason, int pid, long generation);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "upgrade: refused: {Reason}")]
    public static partial void Refused(ILogger logger, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "upgrade: took over from pid {Pid} (generation {Generation})")]
    public static partial void TookOver(ILogger logger, int pid, long generation);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Error, Message = "upgrade: called off by pid {Pid}: {Reason}; stopping")]
    public static partial void CalledOff(ILogger logger, int pid, string reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Error, Message = "upgrade: failed unexpectedly")]
    public static partial void Faulted(ILogger logger, Exception exception);
}
