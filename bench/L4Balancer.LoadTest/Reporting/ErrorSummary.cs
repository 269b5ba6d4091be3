namespace L4Balancer.LoadTest.Reporting;

/// <summary>Errors of operations intended inside the measured window, by kind; warmup errors apart; the first error's text.</summary>
internal sealed record ErrorSummary(
    long Total,
    long Connect,
    long Timeout,
    long Send,
    long Receive,
    long Eof,
    long Protocol,
    long Status,
    long Warmup,
    string? First);
