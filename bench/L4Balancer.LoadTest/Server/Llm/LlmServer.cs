using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Server.Llm;

/// <summary>
/// <c>serve --kind llm</c>: one simulated LLM instance (see <see cref="LlmSettings"/> for the model
/// and <see cref="LlmWire"/> for the bytes). Three listeners: the API (prompts, and <c>GET /metrics</c>
/// as vLLM serves it on its API port), optionally a metrics-only port, and optionally an agent port
/// that answers every connection with one HAProxy agent-check line and closes.
/// <para>
/// One async flow per connection, with its own timers: at 80 % of four 4-slot instances that is
/// about 13 streams and 560 tokens/s in all, far below where the <c>stream</c> server needed one
/// ticker thread for 40 000 chunks/s. A client that closes or resets leaves the queue, or frees its
/// slot at the next token, as vLLM aborts a request whose client went away.
/// </para>
/// </summary>
internal sealed class LlmServer : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;

    /// <summary>How long a finished stream waits for the client to close before the server closes.</summary>
    private static readonly TimeSpan LingerAfterLastChunk = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly Socket? _metricsListener;
    private readonly Socket? _agentListener;
    private readonly LlmSettings _settings;
    private readonly SlotQueue _slots;
    private readonly string _servedBy;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, bool> _connections = new();
    private readonly Task[] _acceptLoops;

    private long _kvTokens;
    private long _accepted;
    private long _probes;
    private long _requests;
    private long _completed;
    private long _aborted;
    private long _badRequests;
    private long _promptTokens;
    private long _tokens;
    private long _metricsServed;
    private long _agentServed;

    private LlmServer(LlmSettings settings, Socket listener, Socket? metricsListener, Socket? agentListener)
    {
        _settings = settings;
        _listener = listener;
        _metricsListener = metricsListener;
        _agentListener = agentListener;
        _slots = new SlotQueue(settings.Slots);
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        MetricsEndPoint = (IPEndPoint?)metricsListener?.LocalEndPoint;
        AgentEndPoint = (IPEndPoint?)agentListener?.LocalEndPoint;
        _servedBy = EndPoint.ToString();
        var loops = new List<Task> { Task.Run(() => AcceptLoopAsync(_listener, metricsOnly: false)) };
        if (metricsListener is not null)
        {
            loops.Add(Task.Run(() => AcceptLoopAsync(metricsListener, metricsOnly: true)));
        }

        if (agentListener is not null)
        {
            loops.Add(Task.Run(AgentLoopAsync));
        }

        _acceptLoops = [.. loops];
    }

    public IPEndPoint EndPoint { get; }
    public IPEndPoint? MetricsEndPoint { get; }
    public IPEndPoint? AgentEndPoint { get; }
    public LlmSettings Settings => _settings;

    public long Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections closed before a complete request (TCP health checks, port probes).</summary>
    public long Probes => Volatile.Read(ref _probes);

    public long Requests => Volatile.Read(ref _requests);
    public long Completed => Volatile.Read(ref _completed);

    /// <summary>Requests whose client went away before the last token (in the queue or generating).</summary>
    public long Aborted => Volatile.Read(ref _aborted);

    public long BadRequests => Volatile.Read(ref _badRequests);
    public long Tokens => Volatile.Read(ref _tokens);
    public long MetricsServed => Volatile.Read(ref _metricsServed);
    public long AgentServed => Volatile.Read(ref _agentServed);
    public int PeakWaiting => _slots.PeakWaiting;

    public (int Running, int Waiting) Load => _slots.Snapshot();

    public double KvUsage => LlmLoadReport.KvUsage(Volatile.Read(ref _kvTokens), _settings.KvCapacityTokens);

    public string AgentLine => LlmLoadReport.AgentLine(_settings.Slots, _slots.Waiting);

    public string MetricsText
    {
        get
        {
            var (running, waiting) = _slots.Snapshot();
            return LlmLoadReport.MetricsText(_settings.ModelName, running, waiting, KvUsage, Volatile.Read(ref _promptTokens), Tokens, Completed);
        }
    }

    public static LlmServer Start(IPEndPoint bind, LlmSettings settings, IPEndPoint? metricsBind = null, IPEndPoint? agentBind = null)
    {
        var sockets = new List<Socket>();
        try
        {
            var api = Listen(bind, sockets);
            var metrics = metricsBind is null ? null : Listen(metricsBind, sockets);
            var agent = agentBind is null ? null : Listen(agentBind, sockets);
            return new LlmServer(settings, api, metrics, agent);
        }
        catch
        {
            sockets.ForEach(s => s.Dispose());
            throw;
        }
    }

    private static Socket Listen(IPEndPoint bind, List<Socket> sockets)
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        sockets.Add(socket);
        socket.Bind(bind);
        socket.Listen(1024);
        return socket;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        _metricsListener?.Dispose();
        _agentListener?.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(Socket listener, bool metricsOnly)
    {
        while (await Acceptor.NextAsync(listener, _stop.Token).ConfigureAwait(false) is { } socket)
        {
            Interlocked.Increment(ref _accepted);
            _connections[socket] = true;
            _ = Task.Run(() => ServeAsync(socket, metricsOnly));
        }
    }

    private async Task AgentLoopAsync()
    {
        while (await Acceptor.NextAsync(_agentListener!, _stop.Token).ConfigureAwait(false) is { } socket)
        {
            _connections[socket] = true;
            _ = Task.Run(() => AnswerAgentAsync(socket));
        }
    }

    /// <summary>
    /// One line, then FIN. The socket stays open until the checker closes (or 2 s): closing with an
    /// <c>agent-send</c> string still unread would reset the connection, and a reset can discard
    /// the line before the checker reads it.
    /// </summary>
    private async Task AnswerAgentAsync(Socket socket)
    {
        try
        {
            await SocketIo.SendAllAsync(socket, System.Text.Encoding.ASCII.GetBytes(AgentLine), _stop.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _agentServed);
            socket.Shutdown(SocketShutdown.Send);
            await DrainUntilClosedAsync(socket, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    private async Task ServeAsync(Socket socket, bool metricsOnly)
    {
        try
        {
            await ServeRequestAsync(socket, metricsOnly).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    private async Task ServeRequestAsync(Socket socket, bool metricsOnly)
    {
        var buffer = new byte[MaxHeadBytes];
        var end = 0;
        int headEnd;
        while ((headEnd = buffer.AsSpan(0, end).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (end == buffer.Length)
            {
                await RejectAsync(socket, 431, "Request Header Fields Too Large", "request head over 16 KiB").ConfigureAwait(false);
                return;
            }

            var received = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (received == 0)
            {
                // A TCP health check (connect, close) or a client that gave up: nothing to answer.
                Interlocked.Increment(ref _probes);
                return;
            }

            end += received;
        }

        if (!LlmRequestHead.TryParse(buffer.AsSpan(0, headEnd), out var head, out var error) || (metricsOnly && !head.IsMetrics))
        {
            await RejectAsync(socket, error is null ? 404 : 400, error is null ? "Not Found" : "Bad Request", error ?? "this port serves GET /metrics only").ConfigureAwait(false);
            return;
        }

        if (head.IsMetrics)
        {
            Interlocked.Increment(ref _metricsServed);
            await SocketIo.SendAllAsync(socket, LlmWire.Plain(200, "OK", "text/plain; version=0.0.4; charset=utf-8", MetricsText), _stop.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            await DrainUntilClosedAsync(socket, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            return;
        }

        // The prompt: read and dropped, only its length counts.
        var promptBytes = head.ContentLength;
        var left = promptBytes - (end - headEnd - 4);
        while (left > 0)
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (received == 0)
            {
                Interlocked.Increment(ref _probes);
                return;
            }

            left -= received;
        }

        Interlocked.Increment(ref _requests);
        var tokens = _settings.FixedTokens ?? head.MaxTokens ?? LlmSettings.DefaultTokens;
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var watch = WatchForCloseAsync(socket, abort);
        if (!await _slots.AcquireAsync(abort.Token).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _aborted);
            return;
        }

        bool done;
        try
        {
            done = await GenerateAsync(socket, promptBytes, tokens, abort.Token).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }

        if (!done)
        {
            Interlocked.Increment(ref _aborted);
            return;
        }

        Interlocked.Increment(ref _completed);
        socket.Shutdown(SocketShutdown.Send);
        try
        {
            await watch.WaitAsync(LingerAfterLastChunk, _stop.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The client keeps its side open after the last chunk; the server closes (the finally).
        }
    }

    /// <summary>Prefill, then the tokens on their schedule; false if the client went away (or the server stops) first.</summary>
    private async Task<bool> GenerateAsync(Socket socket, long promptBytes, int tokens, CancellationToken abort)
    {
        var held = (long)_settings.PromptTokens(promptBytes);
        Interlocked.Add(ref _kvTokens, held);
        Interlocked.Add(ref _promptTokens, held);
        try
        {
            await Task.Delay(_settings.Prefill(promptBytes), abort).ConfigureAwait(false);
            var prefillEnd = Clock.Now;
            var frame = LlmWire.TokenFrame(_settings.ChunkBytes);
            var first = LlmWire.ResponseHead(tokens, _servedBy);
            for (var i = 0; i < tokens; i++)
            {
                if (i > 0)
                {
                    await Clock.DelayUntilAsync(prefillEnd + Clock.Ticks(_settings.TokenOffset(i)), abort).ConfigureAwait(false);
                    abort.ThrowIfCancellationRequested();
                }

                LlmWire.SetIndex(frame, i);
                // The head travels with the first token in one write: time to first byte = time to first token.
                await SocketIo.SendAllAsync(socket, i == 0 ? (byte[])[.. first, .. frame] : frame, abort).ConfigureAwait(false);
                held++;
                Interlocked.Increment(ref _kvTokens);
                Interlocked.Increment(ref _tokens);
            }

            await SocketIo.SendAllAsync(socket, LlmWire.LastChunk.ToArray(), abort).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            Interlocked.Add(ref _kvTokens, -held);
        }
    }

    /// <summary>The client sends nothing after its prompt: EOF or a reset means it went away.</summary>
    private static async Task WatchForCloseAsync(Socket socket, CancellationTokenSource abort)
    {
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, abort.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        try
        {
            await abort.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RejectAsync(Socket socket, int status, string reason, string detail)
    {
        Interlocked.Increment(ref _badRequests);
        await SocketIo.SendAllAsync(socket, LlmWire.Plain(status, reason, "text/plain", detail + "\n"), _stop.Token).ConfigureAwait(false);
        socket.Shutdown(SocketShutdown.Send);
        await DrainUntilClosedAsync(socket, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    }

    private async Task DrainUntilClosedAsync(Socket socket, TimeSpan limit)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(limit);
        var buffer = new byte[256];
        try
        {
            while (await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, deadline.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
    }
}
