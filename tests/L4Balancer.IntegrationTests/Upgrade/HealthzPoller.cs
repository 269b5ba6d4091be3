using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// <c>GET /healthz</c> on a new TCP connection at a fixed interval, so every probe goes through the
/// admin endpoint's accept queue (a kept-alive connection would not notice a closed listener).
/// </summary>
internal sealed class HealthzPoller
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n");

    private readonly IPEndPoint _admin;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _unanswered = new();
    private readonly Task _loop;
    private int _answered;
    private int _refused;

    private HealthzPoller(IPEndPoint admin, TimeSpan interval)
    {
        _admin = admin;
        _loop = Task.Run(() => LoopAsync(interval));
    }

    public static HealthzPoller Start(IPEndPoint admin, TimeSpan interval) => new(admin, interval);

    public async Task<HealthzResult> StopAsync()
    {
        _stop.Cancel();
        await _loop;
        return new HealthzResult(_answered, _refused, [.. _unanswered]);
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                await ProbeAsync();
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeAsync()
    {
        var token = Deadline.After(TimeSpan.FromSeconds(5));
        try
        {
            using var socket = await SocketExtensions.ConnectToAsync(_admin, cancellationToken: token);
            await socket.SendAllAsync(Request, token);
            var answer = Encoding.ASCII.GetString(await socket.ReadToEndAsync(token));
            if (answer.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _answered);
            }
            else
            {
                _unanswered.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} answer \"{answer}\"");
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            Interlocked.Increment(ref _refused);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            _unanswered.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {ex.GetType().Name} {ex.Message}");
        }
    }
}
