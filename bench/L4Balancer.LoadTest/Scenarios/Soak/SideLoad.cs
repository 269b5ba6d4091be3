using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Stats;

namespace L4Balancer.LoadTest.Scenarios.Soak;

/// <summary>Counters of one soak side load; <see cref="Open"/> is live, the rest count the measured window.</summary>
internal sealed class SideLoad(string name)
{
    public readonly ErrorCounters Errors = new();
    public long Started;
    public long AsExpected;
    public long Bytes;
    public long Open;

    public string Name { get; } = name;

    public static void Add(ref long counter, bool measured, long amount = 1)
    {
        if (measured)
        {
            Interlocked.Add(ref counter, amount);
        }
    }

    public SideLoadResult Result(double measuredSeconds) => new(
        Name,
        Volatile.Read(ref Started),
        Volatile.Read(ref AsExpected),
        Math.Round(Volatile.Read(ref AsExpected) / measuredSeconds, 2),
        Volatile.Read(ref Bytes),
        Errors.ToSummary());
}
