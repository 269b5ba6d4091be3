using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Telemetry;

/// <summary>One record per finished connection (SPEC "Logs"), category <see cref="Category"/>.</summary>
internal static partial class AccessLog
{
    public const string Category = "L4Balancer.Access";

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "conn={ConnectionId} listener={Listener} tenant={Tenant} client={Client} via={Via} sni={Sni} backend={Backend} bytes_in={BytesClientToBackend} bytes_out={BytesBackendToClient} duration_ms={DurationMs} end={End}")]
    public static partial void Connection(
        ILogger logger,
        long connectionId,
        string listener,
        string tenant,
        string client,
        string via,
        string sni,
        string backend,
        long bytesClientToBackend,
        long bytesBackendToClient,
        double durationMs,
        string end);
}
