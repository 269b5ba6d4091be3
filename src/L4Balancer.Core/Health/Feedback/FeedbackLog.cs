using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>Load feedback events (issue 16): each is logged once per change of state, never once per poll.</summary>
internal static partial class FeedbackLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "tenant {Tenant}: load feedback from {Source} of {Count} backends every {Interval} (timeout {Timeout}, stale after {StaleAfter})")]
    public static partial void Started(ILogger logger, string tenant, string source, int count, string interval, string timeout, string staleAfter);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "tenant {Tenant}: load feedback stopped")]
    public static partial void Stopped(ILogger logger, string tenant);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "tenant {Tenant}: backend {Backend}: load report failed: {Error} (the last report stands until it is stale; logged once until a poll succeeds)")]
    public static partial void PollFailing(ILogger logger, string tenant, string backend, string error);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend}: load reports again ({Report})")]
    public static partial void PollRecovered(ILogger logger, string tenant, string backend, string report);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "tenant {Tenant}: backend {Backend}: load report is stale (older than {StaleAfter}); its weight and maxconn no longer apply")]
    public static partial void ReportStale(ILogger logger, string tenant, string backend, string staleAfter);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Warning, Message = "tenant {Tenant}: backend {Backend}: agent says {Word}{Reason}: no new connections until it says {Undo}")]
    public static partial void AgentTookOut(ILogger logger, string tenant, string backend, string word, string reason, string undo);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend}: agent says {Word}{Reason}: back in rotation as far as the agent goes")]
    public static partial void AgentPutBack(ILogger logger, string tenant, string backend, string word, string reason);

    [LoggerMessage(EventId = 4207, Level = LogLevel.Warning, Message = "tenant {Tenant}: backend {Backend}: agent line: {Complaint} (that word is ignored, the rest applies, as in HAProxy)")]
    public static partial void AgentComplaint(ILogger logger, string tenant, string backend, string complaint);

    [LoggerMessage(EventId = 4208, Level = LogLevel.Error, Message = "tenant {Tenant}: load report of backend {Backend} failed unexpectedly")]
    public static partial void PollFaulted(ILogger logger, string tenant, string backend, Exception exception);

    [LoggerMessage(EventId = 4209, Level = LogLevel.Information, Message = "tenant {Tenant}: backend {Backend}: the agent's drain and down are lifted: [tenant.feedback] no longer reads an agent")]
    public static partial void AgentForgotten(ILogger logger, string tenant, string backend);
}
