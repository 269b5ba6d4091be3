using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Lifecycle;

/// <summary>
/// A client that keeps sending a counter (4-byte big-endian integers 0, 1, 2, …) through the balancer
/// to an echo backend and checks every byte that comes back against the sequence, so a lost,
/// duplicated or reordered byte anywhere in the path fails the test.
/// </summary>
internal sealed class CountingStream
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private readonly Task<long> _reader;
    private long _sent;
    private long _received;

    private CountingStream(Socket socket)
    {
        _socket = socket;
        _writer = Task.Run(WriteAsync);
        _reader = Task.Run(ReadAsync);
    }

    public static CountingStream Start(Socket socket) => new(socket);

    public long Received => Interlocked.Read(ref _received);

    private static byte ExpectedByte(long offset) => (byte)((uint)(offset / 4) >> (8 * (3 - (int)(offset % 4))));

    private async Task WriteAsync()
    {
        var chunk = new byte[4096];
        var deadline = Deadline.After(TimeSpan.FromMinutes(2));
        while (!_stop.IsCancellationRequested)
        {
            var start = _sent;
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = ExpectedByte(start + i);
            }

            await _socket.SendAllAsync(chunk, deadline);
            Interlocked.Add(ref _sent, chunk.Length);

            // Paced (about 2 MB/s), not a flood: the test is about continuity, and the machine is shared.
            await Task.Delay(2, CancellationToken.None);
        }

        _socket.Shutdown(SocketShutdown.Send);
    }

    private async Task<long> ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        var deadline = Deadline.After(TimeSpan.FromMinutes(2));
        long offset = 0;
        while (true)
        {
            var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline);
            if (n == 0)
            {
                return offset;
            }

            for (var i = 0; i < n; i++, offset++)
            {
                if (buffer[i] != ExpectedByte(offset))
                {
                    throw new InvalidOperationException($"byte {offset} is {buffer[i]}, expected {ExpectedByte(offset)}");
                }
            }

            Interlocked.Exchange(ref _received, offset);
        }
    }

    /// <summary>Waits until at least <paramref name="bytes"/> more bytes have come back (the stream is alive).</summary>
    public Task FlowsAsync(long bytes = 64 * 1024)
    {
        var target = Received + bytes;
        return Deadline.UntilAsync(() => Received >= target || _reader.IsCompleted, because: "echoed bytes to keep arriving");
    }

    /// <summary>Stops sending, half-closes, and returns (sent, echoed back) once the echo has ended.</summary>
    public async Task<(long Sent, long Received)> FinishAsync()
    {
        _stop.Cancel();
        await _writer.WaitAsync(Deadline.After());
        var received = await _reader.WaitAsync(Deadline.After());
        return (Interlocked.Read(ref _sent), received);
    }
}
