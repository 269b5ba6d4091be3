using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.LoadTest.Server;

/// <summary>
/// A trivial target for selftest, <c>serve</c> and soak: HTTP (GET heads only, pipelining allowed),
/// echo, discard, or a paced stream. Not a benchmark subject; just cheap enough that the generator,
/// not it, is measured.
/// </summary>
internal sealed class InProcessServer : IAsyncDisposable
{
    private static readonly byte[] KeepAliveResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"u8.ToArray();
    private static readonly byte[] CloseResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"u8.ToArray();

    /// <summary>A <see cref="ServerKind.Paced"/> chunk: the shape of an LLM's streamed answer, a token batch at a time.</summary>
    public const int StreamChunkBytes = 1024;

    public static readonly TimeSpan StreamChunkInterval = TimeSpan.FromMilliseconds(250);

    private static readonly byte[] StreamChunk = Enumerable.Range(0, StreamChunkBytes).Select(i => (byte)('a' + i % 26)).ToArray();

    private readonly Socket _listener;
    private readonly ServerKind _kind;
    private readonly int _streamChunks;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, bool> _connections = new();
    private readonly Task _acceptLoop;
    private long _accepted;

    private InProcessServer(Socket listener, ServerKind kind, int streamChunks)
    {
        _listener = listener;
        _kind = kind;
        _streamChunks = streamChunks;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    public long Accepted => Volatile.Read(ref _accepted);

    /// <summary>Bytes every <see cref="ServerKind.Paced"/> connection carries.</summary>
    public long StreamBytes => (long)_streamChunks * StreamChunkBytes;

    /// <summary>A stream server whose streams last about <paramref name="duration"/> (at least one chunk).</summary>
    public static InProcessServer StartStream(IPEndPoint bind, TimeSpan duration) =>
        Start(bind, ServerKind.Paced, Math.Max(1, (int)(duration / StreamChunkInterval)));

    public static InProcessServer Start(IPEndPoint bind, ServerKind kind) => Start(bind, kind, streamChunks: 0);

    private static InProcessServer Start(IPEndPoint bind, ServerKind kind, int streamChunks)
    {
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(bind);
            listener.Listen(4096);
            return new InProcessServer(listener, kind, streamChunks);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }

        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (await Acceptor.NextAsync(_listener, _stop.Token).ConfigureAwait(false) is { } socket)
        {
            Interlocked.Increment(ref _accepted);
            _connections[socket] = true;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            switch (_kind)
            {
                case ServerKind.Http:
                    await ServeHttpAsync(socket).ConfigureAwait(false);
                    break;
                case ServerKind.Echo:
                    await ServeEchoAsync(socket, echo: true).ConfigureAwait(false);
                    break;
                case ServerKind.Paced:
                    await ServeStreamAsync(socket).ConfigureAwait(false);
                    break;
                default:
                    await ServeEchoAsync(socket, echo: false).ConfigureAwait(false);
                    break;
            }
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

    /// <summary>
    /// Once the connection's first bytes arrive (whatever they are: through an sni listener, the
    /// ClientHello), a chunk every <see cref="StreamChunkInterval"/> for the stream's length, then FIN,
    /// and wait for the client to close.
    /// </summary>
    private async Task ServeStreamAsync(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        if (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) == 0)
        {
            return;
        }

        using var pace = new PeriodicTimer(StreamChunkInterval);
        for (var i = 0; i < _streamChunks; i++)
        {
            await Net.SocketIo.SendAllAsync(socket, StreamChunk, _stop.Token).ConfigureAwait(false);
            if (i + 1 < _streamChunks)
            {
                await pace.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
            }
        }

        socket.Shutdown(SocketShutdown.Send);
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) > 0)
        {
        }
    }

    private async Task ServeEchoAsync(Socket socket, bool echo)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (received == 0)
            {
                return;
            }

            if (echo)
            {
                await Net.SocketIo.SendAllAsync(socket, buffer.AsMemory(0, received), _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private async Task ServeHttpAsync(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        var end = 0;
        while (true)
        {
            if (end == buffer.Length)
            {
                return;
            }

            var received = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (received == 0)
            {
                return;
            }

            end += received;
            var (consumed, responses, close) = CountRequests(buffer.AsSpan(0, end));
            for (var i = 0; i < responses; i++)
            {
                var last = close && i == responses - 1;
                await Net.SocketIo.SendAllAsync(socket, last ? CloseResponse : KeepAliveResponse, _stop.Token).ConfigureAwait(false);
            }

            if (close)
            {
                socket.Shutdown(SocketShutdown.Send);
                return;
            }

            buffer.AsSpan(consumed, end - consumed).CopyTo(buffer);
            end -= consumed;
        }
    }

    /// <summary>Complete request heads in <paramref name="data"/>: bytes they span, how many, and whether one asked to close.</summary>
    private static (int Consumed, int Count, bool Close) CountRequests(ReadOnlySpan<byte> data)
    {
        var consumed = 0;
        var count = 0;
        while (true)
        {
            var rest = data[consumed..];
            var headEnd = rest.IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                return (consumed, count, false);
            }

            count++;
            consumed += headEnd + 4;
            if (ContainsConnectionClose(rest[..headEnd]))
            {
                return (consumed, count, true);
            }
        }
    }

    private static bool ContainsConnectionClose(ReadOnlySpan<byte> head)
    {
        var token = "connection: close"u8;
        for (var i = 0; i + token.Length <= head.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(head.Slice(i, token.Length), token))
            {
                return true;
            }
        }

        return false;
    }
}
