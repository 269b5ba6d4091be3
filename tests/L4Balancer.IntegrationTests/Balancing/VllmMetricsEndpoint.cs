using System.Net;
using System.Net.Sockets;
using System.Text;

namespace L4Balancer.IntegrationTests.Balancing;

/// <summary>
/// A backend's <c>/metrics</c> as vLLM exposes it (the names and the <c>model_name</c> label), with a
/// queue depth the test sets: plain HTTP/1.1 on a socket of its own, one response per connection.
/// </summary>
internal sealed class VllmMetricsEndpoint : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _waiting;
    private int _scrapes;

    private VllmMetricsEndpoint(IPEndPoint endPoint)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endPoint);
        _listener.Listen(64);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = Task.Run(AcceptAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>vllm:num_requests_waiting, as the next scrape reports it.</summary>
    public int Waiting
    {
        get => Volatile.Read(ref _waiting);
        set => Volatile.Write(ref _waiting, value);
    }

    public int Scrapes => Volatile.Read(ref _scrapes);

    public static VllmMetricsEndpoint Start(IPEndPoint endPoint) => new(endPoint);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using (client)
        {
            try
            {
                var buffer = new byte[4096];
                var read = 0;
                while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await client.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    read += n;
                }

                var body = $$"""
                    # HELP vllm:num_requests_running Number of requests in model execution batches.
                    # TYPE vllm:num_requests_running gauge
                    vllm:num_requests_running{model_name="sim"} 4.0
                    # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
                    # TYPE vllm:num_requests_waiting gauge
                    vllm:num_requests_waiting{model_name="sim"} {{Waiting}}.0
                    # HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
                    # TYPE vllm:kv_cache_usage_perc gauge
                    vllm:kv_cache_usage_perc{model_name="sim"} 0.5

                    """;
                var response = $"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
                await client.SendAsync(Encoding.UTF8.GetBytes(response), SocketFlags.None, _stop.Token);
                Interlocked.Increment(ref _scrapes);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
