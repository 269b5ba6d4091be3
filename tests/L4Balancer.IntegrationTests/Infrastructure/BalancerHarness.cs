using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Proxy;
using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>An in-process engine on 127.0.0.1 port 0.</summary>
internal sealed class BalancerHarness : IAsyncDisposable
{
    private BalancerHarness(BalancerEngine engine) => Engine = engine;

    public BalancerEngine Engine { get; }

    public static async Task<BalancerHarness> StartAsync(BalancerConfig config, TimeProvider? timeProvider = null, RelayOptions? relay = null, TimeSpan? idleScanInterval = null)
    {
        var engine = new BalancerEngine(NullLoggerFactory.Instance, timeProvider ?? TimeProvider.System, relay, new Random(42), idleScanInterval);
        await engine.StartAsync(config);
        return new BalancerHarness(engine);
    }

    public IPEndPoint EndPoint(string listener = TestConfigs.ListenerName) => Engine.ListenerEndPoints[listener];

    public Task<Socket> ConnectAsync(string listener = TestConfigs.ListenerName, IPAddress? from = null) =>
        SocketExtensions.ConnectToAsync(EndPoint(listener), from);

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync();
}
