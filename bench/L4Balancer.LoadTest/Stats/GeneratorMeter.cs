using L4Balancer.LoadTest.Reporting;

namespace L4Balancer.LoadTest.Stats;

/// <summary>
/// What the generator itself spent over the measured window: CPU (in cores, of the 2 this machine
/// has), managed allocations and GCs. If the generator is near a full core, the target is not
/// what limits the numbers.
/// </summary>
internal sealed class GeneratorMeter
{
    private TimeSpan _cpu;
    private long _allocated;
    private long _wall;
    private int _gen0;
    private int _gen1;
    private int _gen2;
    private GeneratorUsage? _result;

    public void Start()
    {
        _cpu = Environment.CpuUsage.TotalTime;
        _allocated = GC.GetTotalAllocatedBytes(precise: false);
        _gen0 = GC.CollectionCount(0);
        _gen1 = GC.CollectionCount(1);
        _gen2 = GC.CollectionCount(2);
        _wall = Timing.Clock.Now;
    }

    public void Stop()
    {
        var seconds = Timing.Clock.Seconds(Timing.Clock.Now - _wall);
        var cpu = (Environment.CpuUsage.TotalTime - _cpu).TotalSeconds;
        _result = new GeneratorUsage(
            Math.Round(cpu, 3),
            seconds > 0 ? Math.Round(cpu / seconds, 3) : 0,
            Environment.ProcessorCount,
            GC.GetTotalAllocatedBytes(precise: false) - _allocated,
            GC.CollectionCount(0) - _gen0,
            GC.CollectionCount(1) - _gen1,
            GC.CollectionCount(2) - _gen2);
    }

    /// <summary>Starts at the window's start and stops at its end, in the background.</summary>
    public async Task MeasureWindowAsync(Timing.RunClock clock)
    {
        await Timing.Clock.DelayUntilAsync(clock.MeasureStart).ConfigureAwait(false);
        Start();
        await Timing.Clock.DelayUntilAsync(clock.MeasureEnd).ConfigureAwait(false);
        Stop();
    }

    public GeneratorUsage Result => _result ?? new GeneratorUsage(0, 0, Environment.ProcessorCount, 0, 0, 0, 0);
}
