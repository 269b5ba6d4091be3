using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback address where a connect hangs until its timeout: a listener that never accepts, with
/// its accept queue already full, so Linux drops every further SYN (and the client retransmits).
/// </summary>
internal sealed class Blackhole : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Socket _filler;

    private Blackhole(Socket listener, Socket filler)
    {
        _listener = listener;
        _filler = filler;
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public static Blackhole Start()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0); // room for one connection in the accept queue
        var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        filler.Connect(listener.LocalEndPoint!); // completes at once: the queue had room
        return new Blackhole(listener, filler);
    }

    public ValueTask DisposeAsync()
    {
        _filler.Dispose();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
