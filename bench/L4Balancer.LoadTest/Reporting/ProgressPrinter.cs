using System.Globalization;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Reporting;

/// <summary>Once a second, one line on stderr: elapsed time, phase, and what the scenario reports for the last second.</summary>
internal static class ProgressPrinter
{
    public static async Task RunAsync(RunClock clock, Func<double, string> line, bool quiet, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var last = Clock.Now;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var now = Clock.Now;
                var text = line(Clock.Seconds(now - last));
                last = now;
                var phase = now < clock.MeasureStart ? "warmup" : now < clock.MeasureEnd ? "run" : "grace";
                if (!quiet)
                {
                    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed,6:F1}s {phase,-6}] {text}")).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
