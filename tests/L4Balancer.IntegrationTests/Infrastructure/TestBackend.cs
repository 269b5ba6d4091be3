using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>A TCP server on 127.0.0.1 port 0 running <c>handler</c> per connection, counting connections.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _accepted = [];
    private readonly Task _loop;
    private int _active;
    private int _total;

    private TestBackend(Func<Socket, Task> handler, IPEndPoint endPoint)
    {
        _handler = handler;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endPoint.Port != 0)
        {
            // Listening again on a known port at once, whatever TIME_WAIT an earlier run left behind.
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        _listener.Bind(endPoint);
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = AcceptLoop();
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    public int Active => Volatile.Read(ref _active);

    public int Total => Volatile.Read(ref _total);

    public static TestBackend Start(Func<Socket, Task> handler, IPAddress? address = null) => new(handler, new IPEndPoint(address ?? IPAddress.Loopback, 0));

    /// <summary>On a given address and port (port 0: any free one).</summary>
    public static TestBackend Start(Func<Socket, Task> handler, IPEndPoint endPoint) => new(handler, endPoint);

    public static TestBackend Echo() => Start(Handlers.EchoAsync);

    /// <summary>Answers each connection with its own name, then echoes.</summary>
    public static TestBackend Named(string name) => Start(s => Handlers.NamedEchoAsync(s, name));

    private async Task AcceptLoop()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            lock (_accepted)
            {
                _accepted.Add(socket);
            }

            Interlocked.Increment(ref _total);
            Interlocked.Increment(ref _active);
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handler(socket);
                }
                catch (Exception)
                {
                    // Handlers see resets and aborts by design; the test asserts on what the client saw.
                }
                finally
                {
                    Interlocked.Decrement(ref _active);
                    socket.Dispose();
                }
            });
        }
    }

    /// <summary>Resets every connection this backend accepted (abortive close).</summary>
    public void ResetAll()
    {
        lock (_accepted)
        {
            foreach (var socket in _accepted)
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception)
                {
                    // already closed
                }

                socket.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
        ResetAll();
    }
}
