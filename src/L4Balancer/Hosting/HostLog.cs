using Microsoft.Extensions.Logging;

namespace L4Balancer.Hosting;

internal static partial class HostLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Critical, Message = "{Message}")]
    public static partial void BindFailed(ILogger logger, string message);
}
