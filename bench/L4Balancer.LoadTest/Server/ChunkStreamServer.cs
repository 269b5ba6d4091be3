using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Server;

/// <summary>
/// The <c>stream</c> backend: server-sent tokens. One stream per connection: the first bytes the
/// client sends (any bytes: a line, an HTTP request head) are the request; the server then sends a
/// <see cref="ChunkStreamSettings.ChunkBytes"/>-byte <see cref="StreamChunk"/> (sequence number and
/// send time inside) every <see cref="ChunkStreamSettings.Interval"/>, the first at once, then shuts
/// down its sending side (FIN) and waits for the client to close. Whatever else the client sends is
/// read and dropped.
/// <para>
/// 2000 streams at 20 chunks/s are 40 000 sends/s: one timer or task per chunk would cost more than
/// the proxies under test. So one ticker thread owns every started stream in a priority queue by due
/// time, sleeps (nanosleep) until the earliest is due, and sends what is due with non-blocking
/// sends. A short send (the client is not reading) keeps the rest for the next turn and is counted;
/// it never blocks the other streams. Each connection also has one pending receive, which notices
/// the request and the client's close.
/// </para>
/// </summary>
internal sealed class ChunkStreamServer : IAsyncDisposable
{
    private static readonly long RetryTicks = Clock.Ticks(TimeSpan.FromMilliseconds(1));
    private static readonly long MinSleep = Clock.Ticks(TimeSpan.FromMicroseconds(50));

    /// <summary>Longest sleep with nothing due: how late a new request's first chunk can be.</summary>
    private static readonly long MaxSleep = Clock.Ticks(TimeSpan.FromMilliseconds(1));

    private readonly Socket _listener;
    private readonly ChunkStreamSettings _settings;
    private readonly long _intervalTicks;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<StreamSession, bool> _sessions = new();
    private readonly ConcurrentQueue<StreamSession> _requested = new();
    private readonly Task _acceptLoop;
    private readonly Thread _ticker;

    /// <summary>Send time − due time of every chunk (µs); only the ticker writes it, read after it stopped.</summary>
    private readonly LongHistogram _sendLag = Histograms.Create();

    private long _accepted;
    private long _started;
    private long _completed;
    private long _aborted;
    private long _chunks;
    private long _shortSends;

    private ChunkStreamServer(Socket listener, ChunkStreamSettings settings)
    {
        _listener = listener;
        _settings = settings;
        _intervalTicks = Clock.Ticks(settings.Interval);
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _ticker = new Thread(Tick) { IsBackground = true, Name = "stream ticker", Priority = ThreadPriority.AboveNormal };
        _ticker.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    public ChunkStreamSettings Settings => _settings;

    public long Accepted => Volatile.Read(ref _accepted);
    public long Started => Volatile.Read(ref _started);
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Streams the client closed or reset before their last chunk.</summary>
    public long Aborted => Volatile.Read(ref _aborted);

    public long Chunks => Volatile.Read(ref _chunks);

    /// <summary>Sends that took less than the whole chunk: the client (or the proxy) did not keep up.</summary>
    public long ShortSends => Volatile.Read(ref _shortSends);

    public static ChunkStreamServer Start(IPEndPoint bind, ChunkStreamSettings settings)
    {
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(bind);
            listener.Listen(4096);
            return new ChunkStreamServer(listener, settings);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Send lag of the chunks so far (valid once the server is disposed: the ticker owns the histogram).</summary>
    public Reporting.LatencySummary SendLag => Reporting.LatencySummary.From(_sendLag);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        _ticker.Join();
        foreach (var session in _sessions.Keys)
        {
            session.Socket.Dispose();
        }

        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (await Acceptor.NextAsync(_listener, _stop.Token).ConfigureAwait(false) is { } socket)
        {
            // The ticker's sends must never block it (a blocked send would stall every other stream).
            socket.Blocking = false;
            Interlocked.Increment(ref _accepted);
            var session = new StreamSession(socket, _settings.ChunkBytes);
            StreamChunk.FillBody(session.Chunk);
            _sessions[session] = true;
            _ = ReceiveAsync(session);
        }
    }

    /// <summary>The first bytes start the stream; then read (and drop) until the client closes.</summary>
    private async Task ReceiveAsync(StreamSession session)
    {
        var buffer = new byte[512];
        var requested = false;
        try
        {
            while (await session.Socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) > 0)
            {
                if (!requested)
                {
                    requested = true;
                    session.Due = Clock.Now;
                    session.Retain();
                    Interlocked.Increment(ref _started);
                    _requested.Enqueue(session);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            session.MarkClosed();
            _sessions.TryRemove(session, out _);
            session.Release();
        }
    }

    private void Tick()
    {
        PreciseSleep.TightenTimerSlack();
        var due = new PriorityQueue<StreamSession, long>();
        while (!_stop.IsCancellationRequested)
        {
            var now = Clock.Now;
            while (true)
            {
                // New streams join at every turn, not only after a backlog is cleared: a ticker that
                // fell behind would otherwise hold every first chunk until it caught up.
                while (_requested.TryDequeue(out var started))
                {
                    due.Enqueue(started, started.Due);
                }

                if (!due.TryPeek(out var session, out var at) || at > now)
                {
                    break;
                }

                due.Dequeue();
                var next = Step(session, now);
                if (next >= 0)
                {
                    due.Enqueue(session, next);
                }

                now = Clock.Now;
            }

            var wait = due.TryPeek(out _, out var earliest) ? earliest - now : MaxSleep;
            PreciseSleep.Sleep(Math.Clamp(wait, MinSleep, MaxSleep));
        }

        while (due.TryDequeue(out var left, out _))
        {
            left.Release();
        }
    }

    /// <summary>Sends what is due on one stream; returns when to come back (Stopwatch ticks), or −1 when the ticker is done with it.</summary>
    private long Step(StreamSession session, long now)
    {
        if (session.Closed)
        {
            return Drop(session);
        }

        if (session.HasPending && !TrySend(session))
        {
            return -1;
        }

        if (session.HasPending)
        {
            // Still not through: try again soon. The next chunk waits behind it, as it would in a real server.
            return now + RetryTicks;
        }

        if (session.Next == _settings.Count)
        {
            return Finish(session);
        }

        Histograms.Record(_sendLag, Clock.Microseconds(now - session.Due));
        StreamChunk.Write(session.Chunk, session.Next, _settings.Count, StreamChunk.NowNanoseconds());
        session.Offset = 0;
        session.Next++;
        session.Due += _intervalTicks;
        Interlocked.Increment(ref _chunks);
        if (!TrySend(session))
        {
            return -1;
        }

        if (session.HasPending)
        {
            return now + RetryTicks;
        }

        return session.Next == _settings.Count ? Finish(session) : session.Due;
    }

    /// <summary>One non-blocking send of the rest of the chunk; false (and the stream dropped) on a socket error.</summary>
    private bool TrySend(StreamSession session)
    {
        var sent = session.Socket.Send(session.Chunk.AsSpan(session.Offset), SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            if (session.Offset + sent < session.Chunk.Length)
            {
                Interlocked.Increment(ref _shortSends);
            }

            session.Offset += sent;
            return true;
        }

        if (error == SocketError.WouldBlock)
        {
            Interlocked.Increment(ref _shortSends);
            return true;
        }

        Drop(session);
        return false;
    }

    private long Finish(StreamSession session)
    {
        try
        {
            session.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        Interlocked.Increment(ref _completed);
        session.Release();
        return -1;
    }

    private long Drop(StreamSession session)
    {
        Interlocked.Increment(ref _aborted);
        session.Release();
        return -1;
    }
}
