using System.Globalization;
using System.Net;
using System.Net.Sockets;
using L4Balancer.Benchmarks;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Reporting;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios.Soak;

/// <summary>
/// The soak scenario: for <c>--duration</c>, a mix against an l4balancer process the scenario started
/// (<see cref="SoakEnvironment"/>): rr on keep-alive connections and churn (a connection per request)
/// through a port listener; long streams through an sni listener; slow-loris hellos (a byte every
/// <c>--slowloris-interval</c>, from 127.0.0.3) the balancer must close at client_hello_timeout; and
/// connections it must reject (from 127.0.0.4, in turn: to a tenant whose allow list excludes loopback,
/// plain HTTP to the sni listener, 100 KiB of non-TLS bytes in one write to the sni listener). Every <c>--sample-interval</c> it reads the process's
/// RSS and descriptor count; after every client has closed, the sessions still open.
/// </summary>
internal sealed class SoakRunner
{
    private static readonly IPAddress SlowlorisSource = IPAddress.Parse("127.0.0.3");
    private static readonly IPAddress RejectSource = IPAddress.Parse("127.0.0.4");
    private static readonly byte[] PlainRequest = "GET / HTTP/1.1\r\nHost: soak\r\n\r\n"u8.ToArray();
    /// <summary>
    /// 100 KiB of non-TLS bytes in one write: more than the relay's 64 KiB pause threshold arrives
    /// before the peek's verdict, the case issue 11 found leaving sessions open.
    /// </summary>
    private static readonly byte[] BigGarbage = CreateBigGarbage();

    private static readonly TimeSpan SettleDeadline = TimeSpan.FromSeconds(10);

    private readonly LoadTestOptions _options;
    private readonly SoakEnvironment _environment;
    private readonly RunClock _clock;
    private readonly RrRunner _rr;
    private readonly ChurnRunner _churn;
    private readonly SideLoad _streams = new("streams");
    private readonly SideLoad _slowloris = new("slowloris");
    private readonly SideLoad _rejected = new("rejected");
    private readonly List<SoakSample> _samples = [];
    private readonly byte[] _hello = SyntheticClientHello.Create(SoakBalancer.StreamServerName, 512, 1);
    private long _rejectsInFlight;
    private long _lastRejected;

    public SoakRunner(LoadTestOptions options, SoakEnvironment environment, RunClock clock)
    {
        _options = options;
        _environment = environment;
        _clock = clock;
        var plain = environment.Balancer.Listeners[SoakBalancer.PlainListener];
        _rr = new RrRunner(Derived("rr", options.Connections, options.Rate, RequestText.KeepAliveGet), plain, clock);
        _churn = new ChurnRunner(Derived("churn", Math.Max(2, (int)Math.Ceiling(options.ChurnRate / 100)), options.ChurnRate, RequestText.CloseGet), plain, clock);
    }

    private SoakBalancer Balancer => _environment.Balancer;

    public async Task<SoakResult> RunAsync()
    {
        var sampler = Task.Run(SampleLoopAsync);
        var streams = Enumerable.Range(0, _options.Streams).Select(_ => Task.Run(StreamLoopAsync));
        var slowloris = Enumerable.Range(0, _options.Slowloris).Select(_ => Task.Run(SlowlorisLoopAsync));
        var rejects = _options.RejectRate > 0 ? Task.Run(RejectLoopAsync) : Task.CompletedTask;
        var rr = Task.Run(_rr.RunAsync);
        var churn = _options.ChurnRate > 0 ? Task.Run(_churn.RunAsync) : null;
        await Task.WhenAll(streams.Concat(slowloris).Append(rejects).Append(sampler)).ConfigureAwait(false);
        var rrResult = await rr.ConfigureAwait(false);
        var churnResult = churn is null ? EmptyChurn() : await churn.ConfigureAwait(false);

        // Every client of ours is closed now: nothing may stay open in the balancer.
        string? note = null;
        long? open = null;
        long? active = null;
        IReadOnlyDictionary<string, long> rejections = new Dictionary<string, long>();
        try
        {
            using var settle = new CancellationTokenSource(SettleDeadline);
            while (true)
            {
                (open, rejections) = await Balancer.StatusAsync(CancellationToken.None).ConfigureAwait(false);
                if (open == 0 || settle.IsCancellationRequested)
                {
                    break;
                }

                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
            }

            active = await Balancer.ConnectionsActiveAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            note = $"admin endpoint: {e.Message}";
        }

        // Drift is over the samples of the run; the one after the clients left is reported apart.
        SoakSample[] inRun;
        lock (_samples)
        {
            inRun = [.. _samples];
            _samples.Add(Sample(open));
        }

        await Balancer.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);

        var runSeconds = Math.Round(Clock.Seconds(_clock.MeasureEnd - _clock.Start), 3);
        var sides = new[] { _streams, _slowloris, _rejected }.Select(s => s.Result(_clock.MeasuredSeconds)).ToArray();
        return new SoakResult(
            Balancer.Executable,
            Balancer.Pid,
            Balancer.Directory,
            runSeconds,
            _options.SampleInterval.TotalSeconds,
            SoakEnvironment.HelloTimeout.TotalSeconds,
            rrResult,
            churnResult,
            sides,
            ResourceSummary.From(inRun.Select(s => (s.Seconds, (double?)s.RssBytes)), runSeconds),
            ResourceSummary.From(inRun.Select(s => (s.Seconds, (double?)s.Descriptors)), runSeconds),
            [.. _samples],
            open,
            active,
            rejections,
            Balancer.ExitCode,
            rrResult.Errors.Total + churnResult.Errors.Total + sides.Sum(s => s.Errors.Total),
            note);
    }

    public string Progress(double intervalSeconds)
    {
        var rejected = Volatile.Read(ref _rejected.AsExpected);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"rr {_rr.Progress(intervalSeconds)} | churn {_churn.Progress(intervalSeconds)} | streams {Volatile.Read(ref _streams.Open)} slowloris {Volatile.Read(ref _slowloris.Open)} "
            + $"rejected {(rejected - _lastRejected) / intervalSeconds:F0}/s");
        _lastRejected = rejected;
        SoakSample? last;
        lock (_samples)
        {
            last = _samples.Count > 0 ? _samples[^1] : null;
        }

        return last is null ? text : text + string.Create(CultureInfo.InvariantCulture, $" | rss {last.RssBytes / 1048576.0:F1} MiB fds {last.Descriptors}");
    }

    private LoadTestOptions Derived(string command, int connections, double rate, byte[] request) => new()
    {
        Command = command,
        Connections = connections,
        Rate = rate,
        Request = request,
        Timeout = _options.Timeout,
        Duration = _options.Duration,
        Warmup = _options.Warmup,
        Grace = _options.Grace,
    };

    private ChurnResult EmptyChurn() => new(0, 0, _clock.MeasuredSeconds, 0, 0, 0, LatencySummary.From(Histograms.Create()), LatencySummary.From(Histograms.Create()), new ErrorCounters().ToSummary());

    private SoakSample Sample(long? connectionsOpen)
    {
        var pid = Balancer.Pid;
        long? rss = ProcessMemory.TryReadRss(pid, out var bytes, out _) ? bytes : null;
        return new SoakSample(Math.Round(_clock.Elapsed, 3), rss, SoakBalancer.CountDescriptors(pid), connectionsOpen);
    }

    private async Task SampleLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.SampleInterval);
        var stop = _clock.WindowEnd;
        do
        {
            long? open = null;
            try
            {
                (open, _) = await Balancer.StatusAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
            {
            }

            var sample = Sample(open);
            lock (_samples)
            {
                _samples.Add(sample);
            }
        }
        while (await Tick(timer, stop).ConfigureAwait(false));
    }

    /// <summary>One long stream after another through the sni listener; each must carry every byte.</summary>
    private async Task StreamLoopAsync()
    {
        var target = Balancer.Listeners[SoakBalancer.TlsListener];
        var expected = _environment.Stream.StreamBytes;
        var streamTicks = Clock.Ticks(_options.StreamDuration + _options.Timeout);
        var buffer = new byte[16 * 1024];
        var stop = _clock.WindowEnd;
        while (!stop.IsCancellationRequested)
        {
            var start = Clock.Now;
            if (start + streamTicks > _clock.MeasureEnd)
            {
                return; // it could not finish inside the window
            }

            var measured = _clock.InWindow(start);
            SideLoad.Add(ref _streams.Started, measured);
            Socket socket;
            try
            {
                socket = await SocketIo.ConnectAsync(target, _options.Timeout, _clock.HardStop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                _streams.Errors.Add(ErrorKind.Connect, SocketIo.Describe(e), measured);
                await PauseAsync(stop).ConfigureAwait(false);
                continue;
            }

            Interlocked.Increment(ref _streams.Open);
            using (socket)
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_clock.HardStop))
            {
                deadline.CancelAfter(_options.StreamDuration + _options.Timeout * 2);
                long received = 0;
                try
                {
                    await SocketIo.SendAllAsync(socket, _hello, deadline.Token).ConfigureAwait(false);
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false)) > 0)
                    {
                        received += n;
                    }

                    if (received == expected)
                    {
                        SideLoad.Add(ref _streams.AsExpected, measured);
                    }
                    else
                    {
                        _streams.Errors.Add(ErrorKind.Eof, $"stream ended after {received} of {expected} bytes", measured);
                    }
                }
                catch (OperationCanceledException)
                {
                    _streams.Errors.Add(ErrorKind.Timeout, $"stream not done after {DurationText(_options.StreamDuration + _options.Timeout * 2)} ({received} of {expected} bytes)", measured);
                }
                catch (SocketException e)
                {
                    _streams.Errors.Add(ErrorKind.Receive, $"{e.SocketErrorCode} after {received} of {expected} bytes", measured);
                }
                finally
                {
                    SideLoad.Add(ref _streams.Bytes, measured, received);
                    Interlocked.Decrement(ref _streams.Open);
                }
            }
        }
    }

    /// <summary>A valid hello, one byte every --slowloris-interval: the balancer must close it at client_hello_timeout.</summary>
    private async Task SlowlorisLoopAsync()
    {
        var target = Balancer.Listeners[SoakBalancer.TlsListener];
        var limit = SoakEnvironment.HelloTimeout + _options.SlowlorisInterval + _options.Timeout;
        var buffer = new byte[512];
        var stop = _clock.WindowEnd;
        while (!stop.IsCancellationRequested)
        {
            var measured = _clock.InWindow(Clock.Now);
            SideLoad.Add(ref _slowloris.Started, measured);
            Socket socket;
            try
            {
                socket = await SocketIo.ConnectAsync(target, _options.Timeout, stop, SlowlorisSource).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                if (!stop.IsCancellationRequested)
                {
                    _slowloris.Errors.Add(ErrorKind.Connect, SocketIo.Describe(e), measured);
                }

                await PauseAsync(stop).ConfigureAwait(false);
                continue;
            }

            Interlocked.Increment(ref _slowloris.Open);
            using (socket)
            using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                deadline.CancelAfter(limit);
                var closed = socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask();
                try
                {
                    for (var i = 0; i < _hello.Length && !closed.IsCompleted; i++)
                    {
                        await SocketIo.SendAllAsync(socket, _hello.AsMemory(i, 1), deadline.Token).ConfigureAwait(false);
                        await Task.WhenAny(closed, Task.Delay(_options.SlowlorisInterval, deadline.Token)).ConfigureAwait(false);
                        deadline.Token.ThrowIfCancellationRequested();
                    }

                    var n = await closed.ConfigureAwait(false);
                    if (n == 0)
                    {
                        SideLoad.Add(ref _slowloris.AsExpected, measured);
                    }
                    else
                    {
                        _slowloris.Errors.Add(ErrorKind.Protocol, $"a slow-loris hello got {n} bytes back", measured);
                    }
                }
                catch (OperationCanceledException)
                {
                    if (!stop.IsCancellationRequested)
                    {
                        _slowloris.Errors.Add(ErrorKind.Timeout, $"a slow-loris hello still open after {DurationText(limit)} (client_hello_timeout {DurationText(SoakEnvironment.HelloTimeout)})", measured);
                    }
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset || closed.IsCompleted)
                {
                    SideLoad.Add(ref _slowloris.AsExpected, measured); // closed by the balancer, as a reset
                }
                catch (SocketException e)
                {
                    _slowloris.Errors.Add(ErrorKind.Send, SocketIo.Describe(e), measured);
                }
                finally
                {
                    Interlocked.Decrement(ref _slowloris.Open);
                }

                socket.Dispose();
                try
                {
                    await closed.ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
                {
                }
            }
        }
    }

    /// <summary>--reject-rate connections per second, each of which the balancer must close without a backend's byte.</summary>
    private async Task RejectLoopAsync()
    {
        var denied = Balancer.Listeners[SoakBalancer.PrivateListener];
        var tls = Balancer.Listeners[SoakBalancer.TlsListener];
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / _options.RejectRate));
        var stop = _clock.WindowEnd;
        var n = 0L;
        while (await Tick(timer, stop).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _rejectsInFlight);
            var (target, payload) = (n++ % 3) switch
            {
                0 => (denied, PlainRequest),
                1 => (tls, PlainRequest),
                _ => (tls, BigGarbage),
            };
            _ = Task.Run(async () =>
            {
                try
                {
                    await RejectOnceAsync(target, payload).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Decrement(ref _rejectsInFlight);
                }
            });
        }

        while (Volatile.Read(ref _rejectsInFlight) > 0 && !_clock.HardStop.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task RejectOnceAsync(IPEndPoint target, byte[] payload)
    {
        var measured = _clock.InWindow(Clock.Now);
        SideLoad.Add(ref _rejected.Started, measured);
        Socket socket;
        try
        {
            socket = await SocketIo.ConnectAsync(target, _options.Timeout, _clock.HardStop, RejectSource).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            _rejected.Errors.Add(ErrorKind.Connect, SocketIo.Describe(e), measured);
            return;
        }

        using (socket)
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(_clock.HardStop))
        {
            deadline.CancelAfter(_options.Timeout);
            var buffer = new byte[1024];
            try
            {
                try
                {
                    await SocketIo.SendAllAsync(socket, payload, deadline.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // Refused before the request was written: the receive below sees the close.
                }

                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    SideLoad.Add(ref _rejected.AsExpected, measured);
                }
                else
                {
                    _rejected.Errors.Add(ErrorKind.Protocol, $"{target} answered a connection it must reject ({n} bytes)", measured);
                }
            }
            catch (OperationCanceledException)
            {
                _rejected.Errors.Add(ErrorKind.Timeout, $"{target} did not close a connection it must reject within {DurationText(_options.Timeout)}", measured);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                SideLoad.Add(ref _rejected.AsExpected, measured); // closed with our request unread: a reset
            }
            catch (SocketException e)
            {
                _rejected.Errors.Add(ErrorKind.Receive, SocketIo.Describe(e), measured);
            }
        }
    }

    private static byte[] CreateBigGarbage()
    {
        var bytes = new byte[100 * 1024];
        new Random(100).NextBytes(bytes);
        bytes[0] = (byte)'G'; // not a TLS record: not_tls on the first byte
        return bytes;
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stop)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task PauseAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(100, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string DurationText(TimeSpan span) => L4Balancer.Core.Config.DurationParser.Format(span);
}
