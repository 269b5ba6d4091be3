using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace L4Balancer.Benchmarks;

/// <summary>
/// The real relay over loopback: client → L4Balancer engine → sink backend, one long-lived
/// connection. An operation sends 1 MiB and waits for the sink's one-byte acknowledgement, so the
/// mean is the time to move a MiB through the balancer and "Allocated" (process-wide, so it includes
/// the engine's pumps and the sink) is bytes allocated per relayed MiB. <see cref="Direct"/> is the
/// same without the balancer: the ratio is the balancer's cost.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class EngineRelayBenchmarks
{
    private const int MiB = 1024 * 1024;
    private readonly byte[] _payload = new byte[MiB];
    private readonly byte[] _ack = new byte[1];
    private Socket _sinkListener = null!;
    private BalancerEngine _engine = null!;
    private Socket _viaBalancer = null!;
    private Socket _direct = null!;
    private CancellationTokenSource _stop = null!;

    /// <summary>Null in benchmark runs; a test can watch the engine's logs through it.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    [GlobalSetup]
    public async Task Setup()
    {
        _stop = new CancellationTokenSource();
        _sinkListener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _sinkListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sinkListener.Listen();
        _ = SinkAcceptLoopAsync();
        var sink = (IPEndPoint)_sinkListener.LocalEndPoint!;

        var config = new BalancerConfig
        {
            Listeners = [new ListenerConfig { Name = "bench", Bind = new IPEndPoint(IPAddress.Loopback, 0), Tenant = "t" }],
            Tenants = [new TenantConfig { Name = "t", Backends = [new BackendConfig { Address = sink.ToString(), EndPoint = sink }] }],
        };
        _engine = new BalancerEngine(LoggerFactory, TimeProvider.System);
        await _engine.StartAsync(config);

        _viaBalancer = await ConnectAsync(_engine.ListenerEndPoints["bench"]);
        _direct = await ConnectAsync(sink);
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    private async Task SinkAcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _sinkListener.AcceptAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = SinkAsync(socket);
        }
    }

    /// <summary>Reads everything; after every full MiB, answers one byte.</summary>
    private static async Task SinkAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        var ack = new byte[1];
        long received = 0;
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                var before = received / MiB;
                received += n;
                for (var i = before; i < received / MiB; i++)
                {
                    await socket.SendAsync(ack, SocketFlags.None);
                }
            }
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    [Benchmark(Baseline = true)]
    public Task Direct() => SendMiBAsync(_direct);

    [Benchmark]
    public Task ThroughBalancer() => SendMiBAsync(_viaBalancer);

    private async Task SendMiBAsync(Socket socket)
    {
        var remaining = _payload.AsMemory();
        while (!remaining.IsEmpty)
        {
            remaining = remaining[await socket.SendAsync(remaining, SocketFlags.None)..];
        }

        if (await socket.ReceiveAsync(_ack, SocketFlags.None) != 1)
        {
            throw new InvalidOperationException("sink closed");
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _stop.Cancel();
        _viaBalancer.Dispose();
        _direct.Dispose();
        await _engine.StopAsync();
        await _engine.DisposeAsync();
        _sinkListener.Dispose();
    }
}
