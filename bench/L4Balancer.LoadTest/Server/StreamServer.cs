using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.LoadTest.Server;

/// <summary>
/// soak's long-stream backend, the shape of an LLM's streamed answer: once a connection's first
/// bytes arrive (whatever they are: through an sni listener, the ClientHello), it sends
/// <see cref="ChunkBytes"/> every <see cref="ChunkInterval"/> for the stream's duration, then FIN,
/// and waits for the client to close.
/// </summary>
internal sealed class StreamServer : IAsyncDisposable
{
    public const int ChunkBytes = 1024;
    public static readonly TimeSpan ChunkInterval = TimeSpan.FromMilliseconds(250);

    private static readonly byte[] Chunk = Enumerable.Range(0, ChunkBytes).Select(i => (byte)('a' + i % 26)).ToArray();

    private readonly Socket _listener;
    private readonly int _chunks;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, bool> _connections = new();
    private readonly Task _acceptLoop;

    private StreamServer(Socket listener, int chunks)
    {
        _listener = listener;
        _chunks = chunks;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Bytes every stream carries.</summary>
    public long StreamBytes => (long)_chunks * ChunkBytes;

    /// <summary>Chunks for a stream of about <paramref name="duration"/> (at least one).</summary>
    public static int ChunksFor(TimeSpan duration) => Math.Max(1, (int)(duration / ChunkInterval));

    public static StreamServer Start(IPEndPoint bind, TimeSpan duration)
    {
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(bind);
            listener.Listen(512);
            return new StreamServer(listener, ChunksFor(duration));
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
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            socket.NoDelay = true;
            _connections[socket] = true;
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            if (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) == 0)
            {
                return;
            }

            using var pace = new PeriodicTimer(ChunkInterval);
            for (var i = 0; i < _chunks; i++)
            {
                await Net.SocketIo.SendAllAsync(socket, Chunk, _stop.Token).ConfigureAwait(false);
                if (i + 1 < _chunks)
                {
                    await pace.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
                }
            }

            socket.Shutdown(SocketShutdown.Send);
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) > 0)
            {
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
}
