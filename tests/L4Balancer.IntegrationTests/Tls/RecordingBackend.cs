using System.Net.Sockets;
using System.Threading.Channels;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>A plain TCP backend that keeps everything each connection sent (up to its EOF), then closes.</summary>
internal sealed class RecordingBackend
{
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>();

    public TestBackend Start() => TestBackend.Start(RecordAsync);

    /// <summary>The bytes of the next connection that finished sending.</summary>
    public ValueTask<byte[]> NextAsync(CancellationToken cancellationToken) => _received.Reader.ReadAsync(cancellationToken);

    private async Task RecordAsync(Socket socket)
    {
        var bytes = await socket.ReadToEndAsync(Deadline.After());
        _received.Writer.TryWrite(bytes);
        socket.Shutdown(SocketShutdown.Send);
    }
}
