using System.Globalization;
using System.Net;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// The stream scenario: <c>--connections</c> streams against a <c>serve --kind stream</c> backend
/// (or a proxy in front of one). Requests go out spread evenly over the warmup, at most
/// <c>--open-concurrency</c> connects at a time: 2000 streams started in the same millisecond would
/// have their chunks due in the same millisecond forever after, a burst no LLM service sees; spread
/// over a second, the 50 ms ticks of different streams interleave. The window then measures every
/// chunk that arrives in it; a stream lasts as long as the backend says (its chunk headers carry
/// the count), and the client reads it to EOF or the hard deadline.
/// </summary>
internal sealed class StreamRunner
{
    private readonly LoadTestOptions _options;
    private readonly IPEndPoint _target;
    private readonly RunClock _clock;
    private readonly StreamTally _tally = new();
    private long _lastChunks;

    public StreamRunner(LoadTestOptions options, IPEndPoint target, RunClock clock)
    {
        _options = options;
        _target = target;
        _clock = clock;
    }

    public async Task<StreamResult> RunAsync()
    {
        var cpu = _options.Pid is { } pid ? MeasureCpuAsync(pid) : Task.FromResult<double?>(null);
        using var connecting = new SemaphoreSlim(_options.OpenConcurrency);
        var n = _options.Connections;
        var ramp = _clock.MeasureStart - _clock.Start;
        var streams = new List<Task>(n);
        for (var i = 0; i < n && !_clock.HardStop.IsCancellationRequested; i++)
        {
            await Clock.DelayUntilAsync(_clock.Start + ramp * i / n, _clock.HardStop).ConfigureAwait(false);
            try
            {
                await connecting.WaitAsync(_clock.HardStop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var connection = new StreamConnection(_target, _options.Request, _clock, _options.Timeout, _tally);
            streams.Add(connection.RunAsync(connecting));
        }

        await Task.WhenAll(streams).ConfigureAwait(false);
        var proxyCpu = await cpu.ConfigureAwait(false);
        var measured = _clock.MeasuredSeconds;
        var delay = LatencySummary.From(_tally.ChunkDelay);
        return new StreamResult(
            n,
            Math.Round(measured, 3),
            Volatile.Read(ref _tally.Opened),
            Volatile.Read(ref _tally.Complete),
            Volatile.Read(ref _tally.Short),
            Volatile.Read(ref _tally.Unfinished),
            Volatile.Read(ref _tally.Chunks),
            Volatile.Read(ref _tally.ChunksExpected),
            delay.Count,
            Math.Round(delay.Count / measured, 1),
            delay,
            LatencySummary.From(_tally.FirstChunk),
            _options.Pid,
            proxyCpu is { } p ? Math.Round(p, 1) : null,
            _tally.Errors.ToSummary());
    }

    public string Progress(double intervalSeconds)
    {
        var chunks = Volatile.Read(ref _tally.Chunks);
        var (count, p99, max) = _tally.Live.TakeInterval();
        var text = string.Create(CultureInfo.InvariantCulture,
            $"open {Volatile.Read(ref _tally.Open),5}  chunks/s {(chunks - _lastChunks) / intervalSeconds,7:F0}  delay p99 {p99 / 1000.0,7:F3} ms  max {max / 1000.0,7:F3} ms  (n {count})  done {Volatile.Read(ref _tally.Complete)}  err {_tally.Errors.AllTotal}");
        _lastChunks = chunks;
        return text;
    }

    /// <summary>CPU % (100 = one core) of the process under test over the measured window.</summary>
    private async Task<double?> MeasureCpuAsync(int pid)
    {
        await Clock.DelayUntilAsync(_clock.MeasureStart).ConfigureAwait(false);
        var (cpu0, t0) = (ProcessCpu.Seconds(pid), Clock.Now);
        await Clock.DelayUntilAsync(_clock.MeasureEnd).ConfigureAwait(false);
        var (cpu1, t1) = (ProcessCpu.Seconds(pid), Clock.Now);
        return cpu0 is { } a && cpu1 is { } b ? (b - a) / Clock.Seconds(t1 - t0) * 100 : null;
    }
}
