using L4Balancer.LoadTest.Reporting;

namespace L4Balancer.LoadTest.Stats;

/// <summary>
/// Error counts by kind, shared by all connections of one scenario (errors are rare, so one
/// interlocked counter is cheap). Errors of operations intended during warmup are counted apart.
/// The first error's text is kept: it usually says what is wrong with the setup.
/// </summary>
internal sealed class ErrorCounters
{
    private readonly long[] _measured = new long[Enum.GetValues<ErrorKind>().Length];
    private long _warmup;
    private string? _first;

    public void Add(ErrorKind kind, string detail, bool measured)
    {
        if (measured)
        {
            Interlocked.Increment(ref _measured[(int)kind]);
        }
        else
        {
            Interlocked.Increment(ref _warmup);
        }

        if (Volatile.Read(ref _first) is null)
        {
            Interlocked.CompareExchange(ref _first, $"{kind.ToString().ToLowerInvariant()}: {detail}", null);
        }
    }

    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _measured.Length; i++)
            {
                total += Volatile.Read(ref _measured[i]);
            }

            return total;
        }
    }

    /// <summary>Measured and warmup errors together, for the progress line.</summary>
    public long AllTotal => Total + Volatile.Read(ref _warmup);

    public long Count(ErrorKind kind) => Volatile.Read(ref _measured[(int)kind]);

    public ErrorSummary ToSummary() => new(
        Total,
        Count(ErrorKind.Connect),
        Count(ErrorKind.Timeout),
        Count(ErrorKind.Send),
        Count(ErrorKind.Receive),
        Count(ErrorKind.Eof),
        Count(ErrorKind.Protocol),
        Count(ErrorKind.Status),
        Volatile.Read(ref _warmup),
        Volatile.Read(ref _first));
}
