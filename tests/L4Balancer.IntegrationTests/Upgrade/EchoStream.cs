using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// A long connection through the balancer to a <see cref="GreetingBackend"/>: pseudo-random bytes go
/// out at a steady pace while the echo comes back, both hashed (SHA-256) so loss or corruption
/// anywhere shows. Through an sni listener the ClientHello goes first and its echo is hashed too.
/// </summary>
internal sealed class EchoStream : IDisposable
{
    private const int ChunkSize = 8 * 1024;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(20);

    private readonly Socket _socket;
    private readonly byte[] _hello;

    private EchoStream(Socket socket, byte[] hello, string marker, IPEndPoint balancerSide, IPEndPoint backendSide)
    {
        _socket = socket;
        _hello = hello;
        Marker = marker;
        BalancerSide = balancerSide;
        BackendSide = backendSide;
    }

    /// <summary>The greeting backend's name.</summary>
    public string Marker { get; }

    /// <summary>The balancer's end of its connection to the backend, as the backend saw it.</summary>
    public IPEndPoint BalancerSide { get; }

    public IPEndPoint BackendSide { get; }

    /// <summary>Connects (from 127.0.0.1), sends <paramref name="hello"/> if given, and reads the greeting.</summary>
    public static async Task<EchoStream> OpenAsync(IPEndPoint target, byte[]? hello)
    {
        var socket = await SocketExtensions.ConnectToAsync(target, IPAddress.Loopback);
        try
        {
            if (hello is not null)
            {
                await socket.SendAllAsync(hello, Deadline.After());
            }

            var greeting = await socket.ReadLineAsync(Deadline.After());
            var parts = greeting.Split(' ');
            if (parts.Length != 3)
            {
                throw new InvalidOperationException($"no greeting from a backend through {target}: \"{greeting}\"");
            }

            return new EchoStream(socket, hello ?? [], parts[0], IPEndPoint.Parse(parts[1]), IPEndPoint.Parse(parts[2]));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends for <paramref name="duration"/>, half-closes, reads the echo to EOF.</summary>
    public async Task<EchoStreamResult> RunAsync(int seed, TimeSpan duration)
    {
        var token = Deadline.After(duration + Deadline.Default);
        using var sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sentHash.AppendData(_hello);
        var receiving = ReceiveAsync(receivedHash, token);
        SocketError? error = null;
        long sent = _hello.Length;
        try
        {
            var random = new Random(seed);
            var chunk = new byte[ChunkSize];
            var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            using var pace = new PeriodicTimer(Pace);
            while (Stopwatch.GetTimestamp() < until)
            {
                random.NextBytes(chunk);
                sentHash.AppendData(chunk);
                await _socket.SendAllAsync(chunk, token);
                sent += chunk.Length;
                await pace.WaitForNextTickAsync(token);
            }

            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException ex)
        {
            error = ex.SocketErrorCode;
            _socket.Dispose(); // ends the receive too
        }

        long received;
        try
        {
            received = await receiving;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error ??= (ex as SocketException)?.SocketErrorCode ?? SocketError.OperationAborted;
            received = -1;
        }

        return new EchoStreamResult(sent, received, Convert.ToHexString(sentHash.GetHashAndReset()), Convert.ToHexString(receivedHash.GetHashAndReset()), error, Stopwatch.GetTimestamp());
    }

    private async Task<long> ReceiveAsync(IncrementalHash hash, CancellationToken token)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (n == 0)
            {
                return total;
            }

            hash.AppendData(buffer, 0, n);
            total += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
