using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using HdrHistogram;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// One churn worker: connections one after another, each connect → send → read to EOF → close.
/// With a rate, connection n of the shared schedule is this worker's if n % workers == index.
/// </summary>
internal sealed class ChurnWorker
{
    private readonly int _index;
    private readonly int _count;
    private readonly IPEndPoint _target;
    private readonly ReadOnlyMemory<byte> _request;
    private readonly ResponseReader _reader;
    private readonly RateSchedule? _schedule;
    private readonly ScheduleGate _gate;
    private readonly RunClock _clock;
    private readonly ErrorCounters _errors;
    private readonly LiveLatency _live;
    private readonly TimeSpan _timeout;
    private CancellationTokenSource _deadline;
    private long _completed;

    public ChurnWorker(int index, int count, IPEndPoint target, byte[] request, int responseBytes,
        RateSchedule? schedule, ScheduleGate gate, RunClock clock, ErrorCounters errors, LiveLatency live, TimeSpan timeout)
    {
        _index = index;
        _count = count;
        _target = target;
        _request = request;
        _reader = new ResponseReader(16 * 1024, responseBytes);
        _schedule = schedule;
        _gate = gate;
        _clock = clock;
        _errors = errors;
        _live = live;
        _timeout = timeout;
        _deadline = CancellationTokenSource.CreateLinkedTokenSource(clock.HardStop);
    }

    public LongHistogram Connect { get; } = Histograms.Create();
    public LongHistogram Request { get; } = Histograms.Create();

    public long Completed => Volatile.Read(ref _completed);
    public long Measured { get; private set; }
    public long Behind { get; private set; }

    public async Task RunAsync()
    {
        var hardStop = _clock.HardStop;
        long k = 0;
        try
        {
            while (!hardStop.IsCancellationRequested)
            {
                var n = (k * _count) + _index;
                var intended = 0L;
                if (_schedule is not null)
                {
                    intended = _schedule.IntendedTime(n);
                    if (intended >= _clock.MeasureEnd)
                    {
                        break;
                    }
                }

                if (Clock.Now >= _clock.MeasureEnd)
                {
                    break;
                }

                if (_schedule is not null && Clock.Now < intended)
                {
                    await _gate.WaitAsync(n).ConfigureAwait(false);
                    if (hardStop.IsCancellationRequested)
                    {
                        break;
                    }
                }

                await OneConnectionAsync(intended).ConfigureAwait(false);
                k++;
            }

            CountBehind(k);
        }
        finally
        {
            _deadline.Dispose();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask OneConnectionAsync(long intended)
    {
        var start = Clock.Now;
        if (_schedule is null)
        {
            intended = start;
        }

        var measured = _clock.InWindow(intended);
        _deadline.CancelAfter(_timeout);
        var token = _deadline.Token;
        var socket = SocketIo.Create(_target);
        var connected = 0L;
        var phase = ErrorKind.Connect;
        var outcome = ReadOutcome.Ok;
        string? detail = null;
        try
        {
            await socket.ConnectAsync(_target, token).ConfigureAwait(false);
            connected = Clock.Now;
            phase = ErrorKind.Send;
            await SocketIo.SendAllAsync(socket, _request, token).ConfigureAwait(false);
            phase = ErrorKind.Receive;
            _reader.Reset();
            outcome = await _reader.ReadResponseAsync(socket, toEnd: true, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            phase = ErrorKind.Timeout;
            detail = _clock.HardStop.IsCancellationRequested ? "not done before the hard deadline"
                : connected == 0 ? $"no connection within {_timeout.TotalSeconds:0.###}s"
                : $"no close within {_timeout.TotalSeconds:0.###}s";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            detail = SocketIo.Describe(e);
        }
        finally
        {
            socket.Dispose();
            if (!_deadline.TryReset())
            {
                _deadline.Dispose();
                _deadline = CancellationTokenSource.CreateLinkedTokenSource(_clock.HardStop);
            }
        }

        var done = Clock.Now;
        if (detail is not null)
        {
            _errors.Add(phase, detail, measured);
            return;
        }

        if (outcome is not ReadOutcome.Ok)
        {
            var kind = outcome switch
            {
                ReadOutcome.Status => ErrorKind.Status,
                ReadOutcome.Eof => ErrorKind.Eof,
                _ => ErrorKind.Protocol,
            };
            _errors.Add(kind, _reader.LastError ?? outcome.ToString(), measured);
            return;
        }

        Volatile.Write(ref _completed, _completed + 1);
        var latency = Clock.Microseconds(done - intended);
        _live.Record(latency);
        if (measured)
        {
            Measured++;
            Histograms.Record(Connect, Clock.Microseconds(connected - start));
            Histograms.Record(Request, latency);
        }
    }

    private void CountBehind(long k)
    {
        if (_schedule is null)
        {
            return;
        }

        for (var n = (k * _count) + _index; ; n += _count)
        {
            var intended = _schedule.IntendedTime(n);
            if (intended >= _clock.MeasureEnd)
            {
                break;
            }

            if (intended >= _clock.MeasureStart)
            {
                Behind++;
            }
        }
    }
}
