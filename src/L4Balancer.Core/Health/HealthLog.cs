using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health;

internal static partial class HealthLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning, Message = "tenant {Tenant}: backend {Backend} is down: {Failures} consecutive health checks failed, the last {CheckStatus}: {CheckDetail}")]
    public static partial void CheckDown(ILogger logger, string tenant, string backend, int failures, string checkStatus, string checkDetail);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} is up: {Successes} consecutive health checks passed ({CheckStatus}: {CheckDetail})")]
    public static partial void CheckUp(ILogger logger, string tenant, string backend, int successes, string checkStatus, string checkDetail);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "tenant {Tenant}: backend {Backend} is down: {Failures} consecutive connects of client connections failed")]
    public static partial void PassiveDown(ILogger logger, string tenant, string backend, int failures);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} back in rotation: retried {RetryAfter} after it was marked down (no active checks)")]
    public static partial void PassiveRetry(ILogger logger, string tenant, string backend, string retryAfter);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "tenant {Tenant}: active health checks of {Count} backends every {Interval} (timeout {Timeout}, rise {Rise}, fall {Fall}), type {Type}")]
    public static partial void ChecksStarted(ILogger logger, string tenant, string type, int count, string interval, string timeout, int rise, int fall);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "tenant {Tenant}: active health checks stopped")]
    public static partial void ChecksStopped(ILogger logger, string tenant);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Error, Message = "tenant {Tenant}: health check of backend {Backend} failed unexpectedly")]
    public static partial void CheckFaulted(ILogger logger, string tenant, string backend, Exception exception);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend} resolves to {EndPoint}: back in rotation")]
    public static partial void Resolved(ILogger logger, string tenant, string backend, System.Net.IPEndPoint endPoint);
}
