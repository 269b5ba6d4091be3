using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// One persistent connection of the rr scenario: one request in flight at a time (no pipelining),
/// sent at its intended time or, if the connection is late, as soon as the previous response is in.
/// Three histograms, only for requests intended inside the measured window:
/// latency (intended send → response end), service (actual send → response end) and send lag
/// (intended → actual send: the schedule's backlog plus the generator's own lateness).
/// </summary>
internal sealed class RrConnection
{
    private static readonly TimeSpan ReconnectBackoff = TimeSpan.FromMilliseconds(100);

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

    private Socket? _socket;
    private bool _connectedBefore;

    /// <summary>Send time of the request in flight; 0 when idle, -1 once the watchdog aborted it.</summary>
    private long _inFlightSince;

    private long _completed;

    public RrConnection(int index, int count, IPEndPoint target, byte[] request, int responseBytes,
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
    }

    public LongHistogram Latency { get; } = Histograms.Create();
    public LongHistogram Service { get; } = Histograms.Create();
    public LongHistogram SendLag { get; } = Histograms.Create();

    /// <summary>Completed responses, warmup included (for the progress line).</summary>
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Completed responses to requests intended inside the window.</summary>
    public long Measured { get; private set; }

    /// <summary>Requests intended inside the window but never sent because the connection was too far behind.</summary>
    public long Behind { get; private set; }

    public long Reconnects { get; private set; }

    /// <summary>
    /// The whole life of the connection. Every await of the per-request path (gate, send, receive)
    /// is in this one method, so its state machine is allocated once, not per request.
    /// </summary>
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

                if (_socket is null && !await ConnectAsync().ConfigureAwait(false))
                {
                    continue;
                }

                if (_schedule is not null && Clock.Now < intended)
                {
                    await _gate.WaitAsync(n).ConfigureAwait(false);
                    if (hardStop.IsCancellationRequested)
                    {
                        break;
                    }
                }

                var socket = _socket!;
                var sent = Clock.Now;
                if (_schedule is null)
                {
                    intended = sent;
                }

                Volatile.Write(ref _inFlightSince, sent);
                _reader.Begin(toEnd: false);
                var outcome = ReadOutcome.Ok;
                var phase = ErrorKind.Send;
                string? failure = null;
                try
                {
                    for (var offset = 0; offset < _request.Length;)
                    {
                        offset += await socket.SendAsync(_request[offset..], SocketFlags.None).ConfigureAwait(false);
                    }

                    phase = ErrorKind.Receive;
                    while (!_reader.TryComplete(out outcome))
                    {
                        var received = await socket.ReceiveAsync(_reader.ReceiveMemory, SocketFlags.None).ConfigureAwait(false);
                        if (received == 0)
                        {
                            outcome = _reader.Closed();
                            break;
                        }

                        _reader.Received(received);
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    failure = SocketIo.Describe(e);
                }

                Complete(intended, sent, outcome, phase, failure);
                k++;
            }

            CountBehind(k);
        }
        finally
        {
            _socket?.Dispose();
        }
    }

    /// <summary>Called by the runner's watchdog: aborts a request older than the timeout by closing the socket.</summary>
    public void AbortIfSentBefore(long limit)
    {
        var since = Volatile.Read(ref _inFlightSince);
        if (since > 0 && since < limit && Interlocked.CompareExchange(ref _inFlightSince, -1, since) == since)
        {
            Volatile.Read(ref _socket)?.Dispose();
        }
    }

    /// <summary>Books one request: histograms if it succeeded, an error (and a reconnect) if not.</summary>
    private void Complete(long intended, long sent, ReadOutcome outcome, ErrorKind phase, string? failure)
    {
        var done = Clock.Now;
        var measured = _clock.InWindow(intended);
        var aborted = Interlocked.Exchange(ref _inFlightSince, 0) == -1;
        if (aborted || (failure is not null && _clock.HardStop.IsCancellationRequested))
        {
            _errors.Add(ErrorKind.Timeout, aborted ? $"no response within {_timeout.TotalSeconds:0.###}s" : "no response before the hard deadline", measured);
            Drop();
            return;
        }

        if (failure is not null)
        {
            _errors.Add(phase, failure, measured);
            Drop();
            return;
        }

        if (outcome is ReadOutcome.Ok)
        {
            Volatile.Write(ref _completed, _completed + 1);
            var latency = Clock.Microseconds(done - intended);
            _live.Record(latency);
            if (measured)
            {
                Measured++;
                Histograms.Record(Latency, latency);
                Histograms.Record(Service, Clock.Microseconds(done - sent));
                Histograms.Record(SendLag, Clock.Microseconds(sent - intended));
            }
        }
        else
        {
            var kind = outcome switch
            {
                ReadOutcome.Status => ErrorKind.Status,
                ReadOutcome.Eof => ErrorKind.Eof,
                _ => ErrorKind.Protocol,
            };
            _errors.Add(kind, _reader.LastError ?? outcome.ToString(), measured);
            if (outcome is not ReadOutcome.Status)
            {
                Drop();
                return;
            }
        }

        if (_reader.CloseRequested)
        {
            Drop();
        }
    }

    private async Task<bool> ConnectAsync()
    {
        try
        {
            var socket = await SocketIo.ConnectAsync(_target, _timeout, _clock.HardStop).ConfigureAwait(false);
            _reader.Reset();
            Volatile.Write(ref _socket, socket);
            if (_connectedBefore)
            {
                Reconnects++;
            }

            _connectedBefore = true;
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            if (_clock.HardStop.IsCancellationRequested)
            {
                return false;
            }

            // Counted by when the attempt failed: the request it was for may be long overdue.
            var measured = _clock.InWindow(Clock.Now);
            _errors.Add(e is OperationCanceledException ? ErrorKind.Timeout : ErrorKind.Connect, SocketIo.Describe(e), measured);
            try
            {
                await Task.Delay(ReconnectBackoff, _clock.HardStop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            return false;
        }
    }

    private void Drop()
    {
        var socket = Interlocked.Exchange(ref _socket, null);
        socket?.Dispose();
        _reader.Reset();
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
