using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Telemetry;

/// <summary>One record per finished connection (SPEC "Logs"), category <see cref="Category"/>.</summary>
/// <remarks>
/// <c>ttfb_ms</c> and <c>max_gap_ms</c> (issue 16) come after <c>end</c>, so a parser that reads the fields
/// up to <c>end</c> by position is unaffected. They are a number (a double: JSON writes it as a number) or
/// "-" when not known (no backend connected; no byte from the backend), hence <see cref="object"/>: the
/// boxing happens only when the record is written.
/// </remarks>
internal static partial class AccessLog
{
    public const string Category = "L4Balancer.Access";

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "conn={ConnectionId} listener={Listener} tenant={Tenant} client={Client} via={Via} sni={Sni} backend={Backend} bytes_in={BytesClientToBackend} bytes_out={BytesBackendToClient} duration_ms={DurationMs} end={End} ttfb_ms={TtfbMs} max_gap_ms={MaxGapMs}")]
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
        string end,
        object ttfbMs,
        object maxGapMs);
}
