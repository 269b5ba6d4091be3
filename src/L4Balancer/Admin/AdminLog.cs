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

    [LoggerMessage(EventId = 4030, Level = LogLevel.Warning, Message = "admin: refused {Method} {Path} from {Remote}: the token's scope is {Scope}, the route needs {Needed}")]
    public static partial void Forbidden(ILogger logger, string method, string path, string remote, string scope, string needed);

    [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "admin: backend {Backend} of tenant {Tenant} weight set to {Weight} by {Remote}")]
    public static partial void BackendWeightChanged(ILogger logger, string tenant, string backend, int weight, string remote);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "admin endpoint: accept failed ({Error}) {Count} times since the last report; retrying every {PauseMs} ms")]
    public static partial void AcceptFailed(ILogger logger, System.Net.Sockets.SocketError error, int count, double pauseMs);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "admin endpoint: accepting again after {Count} failed accepts")]
    public static partial void AcceptRecovered(ILogger logger, int count);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "admin: took the admin socket over from pid {Pid}, which is draining")]
    public static partial void TookOverFromDraining(ILogger logger, int pid);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "admin: handed the admin socket to pid {Pid}, started while this process drains")]
    public static partial void HandedToSuccessor(ILogger logger, int pid);
}
