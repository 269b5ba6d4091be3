using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A named echo backend (greets each connection with its name, then echoes) that can stop listening
/// and listen again on the same port: a backend that goes away and recovers.
/// </summary>
internal sealed class RestartableBackend : IAsyncDisposable
{
    private readonly string _name;
    private TestBackendLoop? _loop;
    private int _total;

    private RestartableBackend(string name)
    {
        _name = name;
        _loop = new TestBackendLoop(this, new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = _loop.EndPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    /// <summary>Connections accepted over every start.</summary>
    public int Total => Volatile.Read(ref _total);

    public static RestartableBackend Start(string name) => new(name);

    /// <summary>Stops listening (connects are refused) and resets the connections it holds.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _loop, null) is { } loop)
        {
            await loop.DisposeAsync();
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void Restart() => _loop ??= new TestBackendLoop(this, EndPoint);

    public async ValueTask DisposeAsync() => await StopAsync();

    private sealed class TestBackendLoop : IAsyncDisposable
    {
        private readonly RestartableBackend _owner;
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Socket> _accepted = [];
        private readonly Task _task;

        public TestBackendLoop(RestartableBackend owner, IPEndPoint endPoint)
        {
            _owner = owner;
            _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);

            // Listening again on the port at once, whatever TIME_WAIT the last run left behind.
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Bind(endPoint);
            _listener.Listen(128);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
            _task = AcceptLoopAsync();
        }

        public IPEndPoint EndPoint { get; }

        private async Task AcceptLoopAsync()
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

                Interlocked.Increment(ref _owner._total);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await Handlers.NamedEchoAsync(socket, _owner._name);
                    }
                    catch (Exception)
                    {
                        // Resets and aborts are the point of this backend.
                    }
                    finally
                    {
                        socket.Dispose();
                    }
                });
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Dispose();
            await _task;
            lock (_accepted)
            {
                foreach (var socket in _accepted)
                {
                    try
                    {
                        socket.Reset();
                    }
                    catch (ObjectDisposedException)
                    {
                        // its handler already closed it
                    }
                }
            }
        }
    }
}
