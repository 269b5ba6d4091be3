using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using L4Balancer.Core.ProxyProtocol;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>
/// A <see cref="TestBackend"/> that expects a PROXY protocol header on every connection, keeps what it
/// parsed, answers one line ("ok" or the parse error), and then echoes everything after the header,
/// so a client sees whether its own bytes arrived unchanged behind the header.
/// </summary>
internal sealed class ProxyHeaderBackend : IAsyncDisposable
{
    private readonly ConcurrentQueue<ProxyHeaderParseResult> _results = new();

    private ProxyHeaderBackend() => Backend = TestBackend.Start(HandleAsync);

    public TestBackend Backend { get; }

    public IReadOnlyCollection<ProxyHeaderParseResult> Results => _results;

    public static ProxyHeaderBackend Start() => new();

    private async Task HandleAsync(Socket socket)
    {
        var (result, rest) = await ProxyHeaderReader.ReadAsync(socket, Deadline.After());
        _results.Enqueue(result);
        await socket.SendAllAsync(Encoding.ASCII.GetBytes((result.IsComplete ? "ok" : result.ToString()) + "\n"), Deadline.After());
        if (!result.IsComplete)
        {
            return;
        }

        await socket.SendAllAsync(rest, Deadline.After());
        await Handlers.EchoAsync(socket);
    }

    public ValueTask DisposeAsync() => Backend.DisposeAsync();
}
