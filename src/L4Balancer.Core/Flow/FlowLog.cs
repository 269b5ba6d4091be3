using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Flow;

internal static partial class FlowLog
{
    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "tenant {Tenant}: connect to backend {Backend} failed: {Error}")]
    public static partial void ConnectFailed(ILogger logger, string tenant, string backend, string error);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "tenant {Tenant}: writing the PROXY protocol header to backend {Backend} failed: {Error}")]
    public static partial void ProxyHeaderFailed(ILogger logger, string tenant, string backend, string error);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Error, Message = "tenant {Tenant}: cannot create a socket for backend {Backend} ({Error}): connections refused as global_limit; {Suppressed} more since the last such line")]
    public static partial void BackendSocketFailed(ILogger logger, string tenant, string backend, string error, long suppressed);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Warning, Message = "listener {Listener}: connection from {Peer} closed as proxy_header: {Why}; {Suppressed} more since the last such line")]
    public static partial void ProxyHeaderRefused(ILogger logger, string listener, string peer, string why, long suppressed);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "connection {ConnectionId} failed unexpectedly")]
    public static partial void SessionFaulted(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "draining {Count} open connections for up to {Timeout}")]
    public static partial void Draining(ILogger logger, int count, string timeout);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "{Count} connections did not finish within 5 s of being closed (a bug: please report it)")]
    public static partial void SessionsStuck(ILogger logger, int count);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "drain timeout reached: closing {Count} connections")]
    public static partial void DrainTimedOut(ILogger logger, int count);
}
