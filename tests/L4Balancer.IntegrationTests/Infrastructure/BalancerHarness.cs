using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Runtime;
using L4Balancer.Core.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>An in-process engine on 127.0.0.1 port 0.</summary>
internal sealed class BalancerHarness : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    private BalancerHarness(BalancerEngine engine, CapturingLoggerProvider logs, ILoggerFactory loggerFactory)
    {
        Engine = engine;
        Logs = logs;
        _loggerFactory = loggerFactory;
    }

    public BalancerEngine Engine { get; }

    public CapturingLoggerProvider Logs { get; }

    public IEnumerable<string> AccessLog => Logs.Messages(Core.Telemetry.AccessLog.Category);

    /// <summary>The factory the engine logs through (the admin endpoint in <see cref="AdminHarness"/> shares it).</summary>
    public ILoggerFactory Loggers => _loggerFactory;

    /// <param name="resolveHost">DNS for backend host names that did not resolve at load (default: the system's).</param>
    public static async Task<BalancerHarness> StartAsync(BalancerConfig config, TimeProvider? timeProvider = null, RelayOptions? relay = null, TimeSpan? idleScanInterval = null, Func<string, CancellationToken, Task<IPAddress[]>>? resolveHost = null)
    {
        var logs = new CapturingLoggerProvider();
        var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var engine = new BalancerEngine(loggerFactory, timeProvider ?? TimeProvider.System, relay, new Random(42), idleScanInterval, transport: TestTransport.Forced, resolveHost: resolveHost);
        await engine.StartAsync(config);
        return new BalancerHarness(engine, logs, loggerFactory);
    }

    public IPEndPoint EndPoint(string listener = TestConfigs.ListenerName) => Engine.ListenerEndPoints[listener];

    public Task<Socket> ConnectAsync(string listener = TestConfigs.ListenerName, IPAddress? from = null) =>
        SocketExtensions.ConnectToAsync(EndPoint(listener), from);

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        _loggerFactory.Dispose();
    }
}
