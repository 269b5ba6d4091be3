using System.Net;
using System.Net.Sockets;
using System.Text;

namespace L4Balancer.Demo;

/// <summary>
/// A tiny HTTP/1.1 server for the demo. GET answers which backend it is; POST streams a chunked
/// answer slowly, token by token, the way an LLM gateway does, so <c>curl -N</c> shows bytes flowing
/// through the balancer as they come.
/// </summary>
internal sealed class DemoBackend : IAsyncDisposable
{
    private const int MaxHeaderBytes = 16 * 1024;
    private static readonly TimeSpan TokenInterval = TimeSpan.FromMilliseconds(150);
    private static readonly string[] Tokens =
        ["Layer", " four", " balancing", " moves", " bytes,", " not", " requests:", " this", " answer", " streams", " through", " L4Balancer", " one", " token", " at", " a", " time", " from", " backend"];

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _requests;

    private DemoBackend(string name, Socket listener)
    {
        Name = name;
        _listener = listener;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _loop = AcceptLoopAsync();
    }

    public string Name { get; }

    public IPEndPoint EndPoint { get; }

    public static DemoBackend Start(string name)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(512);
        return new DemoBackend(name, listener);
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
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var owned = socket;
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var buffer = new byte[MaxHeaderBytes];
        var filled = 0;
        try
        {
            while (true)
            {
                // Read one request head.
                int headEnd;
                while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    if (filled == buffer.Length)
                    {
                        await WriteAsync(stream, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").ConfigureAwait(false);
                        return;
                    }

                    var n = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                }

                var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
                var consumed = headEnd + 4;
                var lines = head.Split("\r\n");
                var requestLine = lines[0].Split(' ');
                var method = requestLine[0];
                var path = requestLine.Length > 1 ? requestLine[1] : "/";
                var contentLength = 0L;
                var close = false;
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        continue;
                    }

                    var name = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        _ = long.TryParse(value, out contentLength);
                    }
                    else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && value.Equals("close", StringComparison.OrdinalIgnoreCase))
                    {
                        close = true;
                    }
                }

                // Skip the body (the demo does not need it), keeping any pipelined bytes after it.
                var bodyInBuffer = (int)Math.Min(contentLength, filled - consumed);
                consumed += bodyInBuffer;
                for (var remaining = contentLength - bodyInBuffer; remaining > 0;)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), _stop.Token).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return;
                    }

                    remaining -= n;
                }

                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
                var number = Interlocked.Increment(ref _requests);

                if (method == "POST")
                {
                    await StreamAnswerAsync(stream, number).ConfigureAwait(false);
                    return; // streamed answers end the connection, as chunked LLM streams usually do
                }

                var body = $"hello from backend {Name} ({method} {path}, request #{number})\n";
                await WriteAsync(stream,
                    $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nX-Backend: {Name}\r\n{(close ? "Connection: close\r\n" : "")}\r\n{body}").ConfigureAwait(false);
                if (close)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away mid-answer; nothing to clean up beyond the socket.
        }
    }

    private async Task StreamAnswerAsync(NetworkStream stream, long number)
    {
        await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\nX-Backend: {Name}\r\nConnection: close\r\n\r\n").ConfigureAwait(false);
        foreach (var token in Tokens.Append($" {Name} (request #{number})\n"))
        {
            var chunk = Encoding.UTF8.GetBytes(token);
            await WriteAsync(stream, $"{chunk.Length:x}\r\n{token}\r\n").ConfigureAwait(false);
            await Task.Delay(TokenInterval, _stop.Token).ConfigureAwait(false);
        }

        await WriteAsync(stream, "0\r\n\r\n").ConfigureAwait(false);
    }

    private async Task WriteAsync(NetworkStream stream, string text) =>
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), _stop.Token).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
