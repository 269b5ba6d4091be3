using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// An HAProxy-style agent on 127.0.0.1 port 0: each connection gets the behaviour set last (answer a
/// line, stay silent, answer late, close early), and what the balancer sent is recorded.
/// </summary>
internal sealed class ScriptedAgent : IAsyncDisposable
{
    private readonly TestBackend _server;
    private readonly CancellationTokenSource _stop = new();
    private volatile Func<Socket, CancellationToken, Task> _behaviour;

    public ScriptedAgent(string line = "up\n")
    {
        _behaviour = Answer(line);
        _server = TestBackend.Start(s => _behaviour(s, _stop.Token));
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    public int Port => _server.EndPoint.Port;

    /// <summary>Polls this agent has seen.</summary>
    public int Connections => _server.Total;

    /// <summary>What the balancer sent (agent_send), one entry per connection that sent anything.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>Answers every following poll with <paramref name="line"/> (include the line end), after reading agent_send when <paramref name="readRequest"/>.</summary>
    public void Say(string line, bool readRequest = false, TimeSpan? delay = null) => _behaviour = Answer(line, readRequest, delay);

    /// <summary>Accepts and says nothing until the balancer gives up.</summary>
    public void Silent() => _behaviour = static async (socket, stop) =>
    {
        var buffer = new byte[64];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) > 0)
        {
        }
    };

    /// <summary>Sends <paramref name="bytes"/> (maybe none) and closes without ending a line.</summary>
    public void CloseAfter(string bytes) => _behaviour = async (socket, stop) =>
    {
        if (bytes.Length > 0)
        {
            await socket.SendAsync(Encoding.Latin1.GetBytes(bytes), SocketFlags.None, stop);
        }

        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket, stop);
    };

    private Func<Socket, CancellationToken, Task> Answer(string line, bool readRequest = false, TimeSpan? delay = null) => async (socket, stop) =>
    {
        if (readRequest)
        {
            Received.Enqueue(await socket.ReadLineAsync(stop));
        }

        if (delay is { } d)
        {
            await Task.Delay(d, stop);
        }

        await socket.SendAsync(Encoding.Latin1.GetBytes(line), SocketFlags.None, stop);

        // Close after the balancer does (it closes once it has its line), so no unread byte turns our close into a reset.
        socket.Shutdown(SocketShutdown.Send);
        await DrainAsync(socket, stop);
    };

    private static async Task DrainAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[256];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token) > 0)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _server.DisposeAsync();
    }
}
