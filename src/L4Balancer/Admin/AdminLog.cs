using Microsoft.Extensions.Logging;

namespace L4Balancer.Admin;

internal static partial class AdminLog
{
    public const string Category = "L4Balancer.Admin";

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "admin endpoint listening on {Address}")]
    public static partial void Listening(ILogger logger, string address);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "admin: backend {Backend} of tenant {Tenant} {Action} by {Remote}")]
    public static partial void BackendDrainChanged(ILogger logger, string tenant, string backend, string action, string remote);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "admin: reload requested by {Remote}")]
    public static partial void ReloadRequested(ILogger logger, string remote);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "admin: rejected {Method} {Path} from {Remote}: missing or wrong bearer token")]
    public static partial void Unauthorized(ILogger logger, string method, string path, string remote);
}
