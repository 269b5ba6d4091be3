using System.Diagnostics;

namespace L4Balancer.LoadTest.Timing;

/// <summary>Stopwatch timestamps (1 ns ticks on Linux) and conversions; every measurement uses these.</summary>
internal static class Clock
{
    private static readonly double MicrosecondsPerTick = 1_000_000.0 / Stopwatch.Frequency;

    public static long Now => Stopwatch.GetTimestamp();

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static long Microseconds(long ticks) => ticks <= 0 ? 0 : (long)(ticks * MicrosecondsPerTick);

    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    public static TimeSpan Until(long timestamp)
    {
        var remaining = timestamp - Now;
        return remaining <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Seconds(remaining));
    }

    public static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken = default)
    {
        var wait = Until(timestamp);
        if (wait > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
