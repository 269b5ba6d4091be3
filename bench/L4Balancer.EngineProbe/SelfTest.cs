using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace L4Balancer.EngineProbe;

/// <summary>
/// <c>--selftest</c>: every engine (and io_uring setup variant) in-process against <see cref="EchoBackend"/>:
/// 200 concurrent echo connections with random sizes up to 1 MiB (SHA-256 both ways; the client's FIN
/// must reach the backend for the echo to end, the backend's FIN the client), 20 connections where the
/// backend finishes first and the client keeps sending, a backend that refuses (the client must be closed),
/// and no session left open afterwards. Every step has a deadline.
/// </summary>
internal static class SelfTest
{
    private const int Concurrent = 200;
    private const int MaxSize = 1024 * 1024;
    private const int ReverseConnections = 20;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    public static byte[] Payload(long id, int length)
    {
        var bytes = new byte[length];
        new Random(unchecked((int)id ^ (int)(id >> 32))).NextBytes(bytes);
        return bytes;
    }

    public static int Run(int threads)
    {
        (EngineKind Engine, UringSetup Setup)[] variants =
        [
            (EngineKind.Epoll, UringSetup.Defer),
            (EngineKind.Uring, UringSetup.Defer),
            (EngineKind.Uring, UringSetup.Coop),
            (EngineKind.Uring, UringSetup.Plain),
            (EngineKind.UringMultishot, UringSetup.Defer),
        ];
        using var backend = new EchoBackend();
        var failures = 0;
        // PROBE_SELFTEST_ONLY=epoll|uring-defer|...: one variant (for debugging)
        var only = Environment.GetEnvironmentVariable("PROBE_SELFTEST_ONLY");
        foreach (var (engine, setup) in variants)
        {
            if (only is not null && only != Label(engine, setup))
            {
                continue;
            }

            var name = Label(engine, setup);
            var watch = Stopwatch.StartNew();
            try
            {
                RunOne(engine, setup, threads, backend).GetAwaiter().GetResult();
                Console.WriteLine($"selftest: {name}: PASS ({watch.Elapsed.TotalSeconds:F1} s)");
            }
            catch (Exception e)
            {
                failures++;
                Console.WriteLine($"selftest: {name}: FAIL: {e.Message}");
            }
        }

        Console.WriteLine(failures == 0 ? "selftest: all engines passed" : $"selftest: {failures} engine(s) failed");
        return failures == 0 ? 0 : 1;
    }

    private static string Label(EngineKind engine, UringSetup setup) => engine switch
    {
        EngineKind.Epoll => "epoll",
        EngineKind.Uring => $"uring-{setup}".ToLowerInvariant(),
        _ => $"uring-multishot-{setup}".ToLowerInvariant(),
    };

    private static async Task RunOne(EngineKind engine, UringSetup setup, int threads, EchoBackend backend)
    {
        using var cts = new CancellationTokenSource(Deadline);
        var token = cts.Token;
        using (var host = EngineHost.Start(engine, threads, 0, backend.EndPoint, setup))
        {
            var target = new IPEndPoint(IPAddress.Loopback, host.Port);
            var sizes = new int[Concurrent];
            var random = new Random(42);
            // Edges first: empty, one byte, exactly one buffer, one past it, the maximum.
            int[] edges = [0, 1, Relay.BufferSize, Relay.BufferSize + 1, MaxSize];
            for (var i = 0; i < Concurrent; i++)
            {
                sizes[i] = i < edges.Length ? edges[i] : random.Next(MaxSize + 1);
            }

            await Task.WhenAll(sizes.Select((size, i) => Echo(target, size, i, token)));
            await Task.WhenAll(Enumerable.Range(0, ReverseConnections).Select(i => Reverse(backend, target, 1000 + i, token)));
            await WaitNoSessions(host, "after the transfers", token);
        }

        // A backend that refuses: the relay must close the client (EOF or reset), not hold it.
        var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var refusing = (IPEndPoint)closed.LocalEndPoint!;
        closed.Dispose(); // bound, never listening, now released: connections to it are refused
        using (var host = EngineHost.Start(engine, threads, 0, refusing, setup))
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, host.Port), token);
            var buffer = new byte[16];
            try
            {
                var n = await client.ReceiveAsync(buffer, token);
                if (n != 0)
                {
                    throw new InvalidOperationException("refused backend: the client got bytes instead of a close");
                }
            }
            catch (SocketException)
            {
                // reset: closed as well
            }

            await WaitNoSessions(host, "after a refused backend", token);
        }
    }

    private static async Task Echo(IPEndPoint target, int size, int index, CancellationToken token)
    {
        var payload = Payload(index, size);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(target, token);
        var sending = Task.Run(async () =>
        {
            await client.SendAsync(new byte[] { (byte)'E' }, token);
            for (var off = 0; off < payload.Length;)
            {
                off += await client.SendAsync(payload.AsMemory(off, Math.Min(64 * 1024, payload.Length - off)), token);
            }

            client.Shutdown(SocketShutdown.Send);
        }, token);
        var (hash, got) = await ReceiveToEnd(client, token);
        await sending;
        if (!hash.AsSpan().SequenceEqual(SHA256.HashData(payload)))
        {
            throw new InvalidOperationException($"echo connection {index}: sent {size} bytes, got {got} back, and they differ");
        }
    }

    private static async Task Reverse(EchoBackend backend, IPEndPoint target, long id, CancellationToken token)
    {
        var down = Payload(id, 300_000);
        var up = Payload(id + 1_000_000, 200_000);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(target, token);
        var header = new byte[13];
        header[0] = (byte)'R';
        BitConverter.TryWriteBytes(header.AsSpan(1), id);
        BitConverter.TryWriteBytes(header.AsSpan(9), down.Length);
        await client.SendAsync(header, token);
        // The backend's FIN arrives while our side is still open ...
        var (hash, got) = await ReceiveToEnd(client, token);
        if (!hash.AsSpan().SequenceEqual(SHA256.HashData(down)))
        {
            throw new InvalidOperationException($"reverse connection {id}: backend → client bytes differ ({got} of {down.Length} came)");
        }

        // ... and the client → backend direction must still carry bytes after it.
        for (var off = 0; off < up.Length;)
        {
            off += await client.SendAsync(up.AsMemory(off), token);
        }

        client.Shutdown(SocketShutdown.Send);
        var received = await backend.ReceivedHash(id).WaitAsync(token);
        if (!received.AsSpan().SequenceEqual(SHA256.HashData(up)))
        {
            throw new InvalidOperationException($"reverse connection {id}: client → backend bytes after the backend's FIN differ");
        }
    }

    private static async Task<(byte[] Hash, long Bytes)> ReceiveToEnd(Socket socket, CancellationToken token)
    {
        long total = 0;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, token)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            total += n;
        }

        return (sha.GetHashAndReset(), total);
    }

    /// <summary>Sessions close when the clients' last bytes went through: give the loops a moment, with a deadline.</summary>
    private static async Task WaitNoSessions(EngineHost host, string when, CancellationToken token)
    {
        var until = Stopwatch.StartNew();
        while (host.LiveSessions != 0)
        {
            if (until.Elapsed > TimeSpan.FromSeconds(5))
            {
                throw new InvalidOperationException($"{host.LiveSessions} session(s) still open 5 s {when}");
            }

            await Task.Delay(20, token);
        }
    }
}
