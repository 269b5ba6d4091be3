using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace L4Balancer.EngineProbe;

/// <summary>
/// The selftest's backend. The first byte a connection sends picks the behaviour:
/// <c>E</c> echoes everything until the client's FIN, then sends its own FIN;
/// <c>R</c> (then an 8-byte id and a 4-byte length L) sends L bytes of <c>new Random(id)</c> and its FIN
/// first, then reads the client's bytes until FIN and records their SHA-256 under the id: a half-close in
/// the other direction, with the client still sending after the backend has finished.
/// </summary>
internal sealed class EchoBackend : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<byte[]>> _received = new();

    public EchoBackend()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1024);
        _ = AcceptLoop();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>The SHA-256 of what an <c>R</c> connection's client sent after the backend's FIN.</summary>
    public Task<byte[]> ReceivedHash(long id) => _received.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Serve(s);
        }
    }

    private async Task Serve(Socket s)
    {
        using (s)
        {
            try
            {
                var buffer = new byte[64 * 1024];
                var mode = new byte[1];
                if (await ReceiveExactly(s, mode) == 0)
                {
                    return;
                }

                if (mode[0] == 'E')
                {
                    int n;
                    while ((n = await s.ReceiveAsync(buffer.AsMemory(), _stop.Token)) > 0)
                    {
                        await s.SendAsync(buffer.AsMemory(0, n), _stop.Token);
                    }

                    s.Shutdown(SocketShutdown.Send);
                    return;
                }

                var header = new byte[12];
                await ReceiveExactly(s, header);
                var id = BitConverter.ToInt64(header);
                var length = BitConverter.ToInt32(header, 8);
                await s.SendAsync(SelfTest.Payload(id, length), _stop.Token);
                s.Shutdown(SocketShutdown.Send);
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                int got;
                while ((got = await s.ReceiveAsync(buffer.AsMemory(), _stop.Token)) > 0)
                {
                    sha.AppendData(buffer, 0, got);
                }

                _received.GetOrAdd(id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(sha.GetHashAndReset());
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (SocketException)
            {
                // the client side's failure is reported by the client
            }
        }
    }

    private async Task<int> ReceiveExactly(Socket s, byte[] destination)
    {
        var got = 0;
        while (got < destination.Length)
        {
            var n = await s.ReceiveAsync(destination.AsMemory(got), _stop.Token);
            if (n == 0)
            {
                return got;
            }

            got += n;
        }

        return got;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
    }
}
