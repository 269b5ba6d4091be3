using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Tests.Transport.Epoll;

/// <summary>Two connected TCP sockets on 127.0.0.1, port 0.</summary>
internal sealed class LoopbackPair : IDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static async Task<LoopbackPair> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var accept = listener.AcceptAsync(deadline.Token);
        await client.ConnectAsync(listener.LocalEndPoint!, deadline.Token);
        return new LoopbackPair(client, await accept);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
