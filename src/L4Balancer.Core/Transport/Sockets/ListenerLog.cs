using System.Net;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Transport.Sockets;

internal static partial class ListenerLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "listener {Listener} accepting on {EndPoint}")]
    public static partial void Listening(ILogger logger, string listener, EndPoint endPoint);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "listener {Listener} accepting on {EndPoint} (socket handed over, not bound here)")]
    public static partial void ListeningAdopted(ILogger logger, string listener, EndPoint endPoint);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "listener {Listener} stopped accepting")]
    public static partial void ListenerStopped(ILogger logger, string listener);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "listener {Listener}: accept failed ({Error}) {Count} times since the last report; retrying every {PauseMs} ms")]
    public static partial void AcceptFailed(ILogger logger, string listener, string error, int count, double pauseMs);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "listener {Listener}: accepting again after {Count} failed accepts")]
    public static partial void AcceptRecovered(ILogger logger, string listener, int count);
}
