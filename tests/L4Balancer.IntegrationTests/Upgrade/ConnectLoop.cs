using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Short connections from four client addresses (127.0.0.1 to .4), one loop per address at a fixed
/// pace, alternating between the port listener and the sni listener (a ClientHello first). Each
/// connection reads the backend's greeting, half-closes, reads the echo to EOF. Refused connects and
/// resets are counted apart from every other failure.
/// </summary>
internal sealed class ConnectLoop
{
    private static readonly IPAddress[] Sources = [IPAddress.Parse("127.0.0.1"), IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4")];
    private static readonly TimeSpan PerConnection = TimeSpan.FromSeconds(5);

    private readonly IPEndPoint _plain;
    private readonly IPEndPoint _tls;
    private readonly byte[] _hello;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ConnectRecord> _records = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private readonly Task[] _loops;
    private int _refused;
    private int _resets;

    private ConnectLoop(IPEndPoint plain, IPEndPoint tls, byte[] hello, int perSourcePerSecond)
    {
        _plain = plain;
        _tls = tls;
        _hello = hello;
        _interval = TimeSpan.FromSeconds(1.0 / perSourcePerSecond);
        _loops = Sources.Select(source => Task.Run(() => LoopAsync(source))).ToArray();
    }

    public IReadOnlyCollection<ConnectRecord> Records => _records;

    public static ConnectLoop Start(IPEndPoint plain, IPEndPoint tls, byte[] hello, int perSourcePerSecond) => new(plain, tls, hello, perSourcePerSecond);

    public async Task<ConnectLoopResult> StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_loops);
        return new ConnectLoopResult(_records.Count, _refused, _resets, [.. _failures], Stopwatch.GetElapsedTime(_startedAt));
    }

    private async Task LoopAsync(IPAddress source)
    {
        var next = Stopwatch.GetTimestamp();
        var step = (long)(_interval.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            await OneAsync(source, sni: i % 2 == 1);

            // A pace, not a wait for a condition: the next connection's slot. Behind by more than a
            // second (a stall), start afresh rather than burst.
            next += step;
            var now = Stopwatch.GetTimestamp();
            if (now - next > Stopwatch.Frequency)
            {
                next = now;
            }
            else if (next > now)
            {
                try
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(now, next), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task OneAsync(IPAddress source, bool sni)
    {
        var startedAt = Stopwatch.GetTimestamp();
        var token = Deadline.After(PerConnection);
        try
        {
            using var socket = await SocketExtensions.ConnectToAsync(sni ? _tls : _plain, source, token);
            if (sni)
            {
                await socket.SendAllAsync(_hello, token);
            }

            var greeting = await socket.ReadLineAsync(token);
            if (greeting.Length == 0)
            {
                _failures.Enqueue($"{source} {(sni ? "sni" : "port")}: closed without a greeting");
                return;
            }

            socket.Shutdown(SocketShutdown.Send);
            await socket.ReadToEndAsync(token);
            _records.Enqueue(new ConnectRecord(startedAt, greeting.Split(' ')[0], sni, source));
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            Interlocked.Increment(ref _refused);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            Interlocked.Increment(ref _resets);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            _failures.Enqueue($"{source} {(sni ? "sni" : "port")}: {ex.GetType().Name} {ex.Message}");
        }
    }
}
