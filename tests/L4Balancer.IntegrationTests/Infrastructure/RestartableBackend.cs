using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A named echo backend (greets each connection with its name, then echoes) that can stop listening
/// and listen again on the same port: a backend that goes away and recovers. Each run is a
/// <see cref="TestBackend"/> on that port.
/// </summary>
internal sealed class RestartableBackend : IAsyncDisposable
{
    private readonly Func<Socket, Task> _handler;
    private TestBackend? _current;
    private int _earlierTotal;

    private RestartableBackend(string name)
    {
        _handler = socket => Handlers.NamedEchoAsync(socket, name);
        _current = TestBackend.Start(_handler, new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = _current.EndPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    /// <summary>Connections accepted over every start.</summary>
    public int Total => Volatile.Read(ref _earlierTotal) + (Volatile.Read(ref _current)?.Total ?? 0);

    public static RestartableBackend Start(string name) => new(name);

    /// <summary>Stops listening (connects are refused) and resets the connections it holds.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _current, null) is { } backend)
        {
            await backend.DisposeAsync();
            Interlocked.Add(ref _earlierTotal, backend.Total);
        }
    }

    /// <summary>Listens again on the same port.</summary>
    public void Restart() => _current ??= TestBackend.Start(_handler, EndPoint);

    public async ValueTask DisposeAsync() => await StopAsync();
}
