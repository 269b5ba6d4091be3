namespace L4Balancer.LoadTest.Reporting;

/// <summary>bulk: bytes moved inside the measured window; Gb/s = bits / 1e9 / seconds.</summary>
internal sealed record BulkResult(
    string Mode,
    int Connections,
    int BufferBytes,
    double MeasuredSeconds,
    long SentBytes,
    long ReceivedBytes,
    double SentGbps,
    double ReceivedGbps,
    ErrorSummary Errors);
