using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// The idle scenario: what an open, idle connection costs the process <c>--pid</c>. RSS is sampled
/// before; then <c>--connections</c> connections are opened (<c>--open-concurrency</c> at a time),
/// each passes one request/response, and after <c>--settle</c> five samples 500 ms apart give the
/// settled RSS (their median; the spread is reported). The connections are held for
/// <c>--duration</c> from the moment all were open, then each must answer a second request.
/// </summary>
internal sealed class IdleRunner
{
    private const int Samples = 5;
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    private readonly LoadTestOptions _options;
    private readonly IPEndPoint _target;
    private readonly RunClock _clock;
    private readonly Socket?[] _sockets;
    private readonly ErrorCounters _errors = new();
    private int _next;
    private int _opened;
    private int _failed;
    private int _alive;
    private long _rss = -1;
    private string _phase = "opening";

    public IdleRunner(LoadTestOptions options, IPEndPoint target, RunClock clock)
    {
        _options = options;
        _target = target;
        _clock = clock;
        _sockets = new Socket?[options.Connections];
    }

    /// <summary>
    /// The longest the scenario can take: opening and the final check each bounded by
    /// connect + response timeouts per connection in turn, plus settling, sampling and the hold.
    /// </summary>
    public static TimeSpan Budget(LoadTestOptions options)
    {
        var rounds = (options.Connections + options.OpenConcurrency - 1) / options.OpenConcurrency;
        var phase = TimeSpan.FromTicks(Math.Min(options.Timeout.Ticks * 2 * rounds, TimeSpan.FromMinutes(5).Ticks));
        var hold = Max(options.Duration, options.Settle + (SampleInterval * Samples));
        return TimeSpan.FromSeconds(1) + phase + hold + phase;
    }

    public async Task<IdleResult> RunAsync()
    {
        var pid = _options.Pid;
        long? before = null;
        string? source = null;
        if (pid is { } p)
        {
            (before, source) = await SampleStableAsync(p, 3).ConfigureAwait(false);
        }

        var concurrency = Math.Min(_options.OpenConcurrency, _sockets.Length);
        var histograms = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(OpenLoopAsync))).ConfigureAwait(false);
        var allOpen = Clock.Now;

        _phase = "settling";
        await Task.Delay(_options.Settle, _clock.HardStop).ConfigureAwait(false);
        _phase = "sampling";
        long? after = null;
        var samples = new List<long>();
        if (pid is { } q)
        {
            for (var i = 0; i < Samples; i++)
            {
                if (ProcessMemory.TryReadRss(q, out var bytes, out source))
                {
                    samples.Add(bytes);
                    Volatile.Write(ref _rss, bytes);
                }

                await Task.Delay(SampleInterval, _clock.HardStop).ConfigureAwait(false);
            }

            after = samples.Count > 0 ? samples.Order().ElementAt(samples.Count / 2) : null;
        }

        _phase = "holding";
        await Clock.DelayUntilAsync(allOpen + Clock.Ticks(_options.Duration), _clock.HardStop).ConfigureAwait(false);
        var held = Clock.Seconds(Clock.Now - allOpen);

        _phase = "checking";
        _next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(CheckLoopAsync))).ConfigureAwait(false);
        foreach (var socket in _sockets)
        {
            socket?.Dispose();
        }

        _phase = "done";
        var perConnection = before is { } b && after is { } a && _opened > 0 ? Math.Round((double)(a - b) / _opened, 1) : (double?)null;
        return new IdleResult(
            _sockets.Length,
            _opened,
            _failed,
            _alive,
            Math.Round(held, 3),
            pid,
            source,
            before,
            after,
            samples,
            samples.Count > 0 ? samples.Max() - samples.Min() : null,
            perConnection,
            LatencySummary.From(Histograms.Merge(histograms)),
            _errors.ToSummary());
    }

    public string Progress(double intervalSeconds)
    {
        var rss = Volatile.Read(ref _rss);
        var memory = rss >= 0 ? string.Create(CultureInfo.InvariantCulture, $"  rss {rss / 1048576.0:F1} MiB") : "";
        return $"{_phase,-9} open {Volatile.Read(ref _opened)}/{_sockets.Length}  failed {Volatile.Read(ref _failed)}  alive {Volatile.Read(ref _alive)}{memory}";
    }

    private async Task<LongHistogram> OpenLoopAsync()
    {
        var histogram = Histograms.Create();
        var reader = new ResponseReader(16 * 1024, _options.ResponseBytes);
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _sockets.Length && !_clock.HardStop.IsCancellationRequested)
        {
            var start = Clock.Now;
            Socket socket;
            try
            {
                socket = await SocketIo.ConnectAsync(_target, _options.Timeout, _clock.HardStop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                Interlocked.Increment(ref _failed);
                _errors.Add(e is OperationCanceledException ? ErrorKind.Timeout : ErrorKind.Connect, SocketIo.Describe(e), measured: true);
                continue;
            }

            if (await ExchangeAsync(socket, reader).ConfigureAwait(false))
            {
                _sockets[i] = socket;
                Interlocked.Increment(ref _opened);
                Histograms.Record(histogram, Clock.Microseconds(Clock.Now - start));
            }
            else
            {
                socket.Dispose();
                Interlocked.Increment(ref _failed);
            }
        }

        return histogram;
    }

    private async Task CheckLoopAsync()
    {
        var reader = new ResponseReader(16 * 1024, _options.ResponseBytes);
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _sockets.Length && !_clock.HardStop.IsCancellationRequested)
        {
            if (_sockets[i] is { } socket && await ExchangeAsync(socket, reader).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _alive);
            }
        }
    }

    /// <summary>One request and its response within the timeout; errors are counted here.</summary>
    private async Task<bool> ExchangeAsync(Socket socket, ResponseReader reader)
    {
        reader.Reset();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_clock.HardStop);
        deadline.CancelAfter(_options.Timeout);
        var phase = ErrorKind.Send;
        try
        {
            await SocketIo.SendAllAsync(socket, _options.Request, deadline.Token).ConfigureAwait(false);
            phase = ErrorKind.Receive;
            var outcome = await reader.ReadResponseAsync(socket, toEnd: false, deadline.Token).ConfigureAwait(false);
            if (outcome == ReadOutcome.Ok)
            {
                return true;
            }

            _errors.Add(outcome switch { ReadOutcome.Status => ErrorKind.Status, ReadOutcome.Eof => ErrorKind.Eof, _ => ErrorKind.Protocol },
                reader.LastError ?? outcome.ToString(), measured: true);
        }
        catch (OperationCanceledException)
        {
            _errors.Add(ErrorKind.Timeout, $"no response within {_options.Timeout.TotalSeconds:0.###}s", measured: true);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            _errors.Add(phase, SocketIo.Describe(e), measured: true);
        }

        return false;
    }

    private async Task<(long? Bytes, string? Source)> SampleStableAsync(int pid, int count)
    {
        var samples = new List<long>();
        string? source = null;
        for (var i = 0; i < count; i++)
        {
            if (ProcessMemory.TryReadRss(pid, out var bytes, out var s))
            {
                samples.Add(bytes);
                source = s;
                Volatile.Write(ref _rss, bytes);
            }

            if (i + 1 < count)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), _clock.HardStop).ConfigureAwait(false);
            }
        }

        return samples.Count == 0 ? (null, null) : (samples.Order().ElementAt(samples.Count / 2), source);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
