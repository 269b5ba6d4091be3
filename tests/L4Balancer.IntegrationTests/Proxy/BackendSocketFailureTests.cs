using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.Core.Transport.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Proxy;

/// <summary>
/// Issue 11, defect 4: when the backend socket could not be created (EMFILE at the descriptor limit)
/// the backend slot taken just before leaked: <c>backend_active</c> stayed up with nothing open, so a
/// backend with <c>max_connections</c> served fewer clients until restart, and the sessions ended as
/// <c>closed</c> with a stack trace instead of being counted.
/// </summary>
public class BackendSocketFailureTests
{
    [SocketsTransportFact("the failure is injected through RelayOptions.BackendSocketFactory, a seam of the sockets transport")]
    public async Task Socket_creation_failure_gives_the_backend_slot_back_and_is_counted_as_global_limit()
    {
        const int Failures = 5;
        var calls = 0;
        var relay = new RelayOptions
        {
            BackendSocketFactory = family => Interlocked.Increment(ref calls) <= Failures
                ? throw new SocketException((int)SocketError.TooManyOpenSockets)
                : new Socket(family, SocketType.Stream, ProtocolType.Tcp),
        };
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend, maxConnections: 1)]);
        await using var balancer = await BalancerHarness.StartAsync(config, relay: relay);

        for (var i = 0; i < Failures; i++)
        {
            using var refused = await balancer.ConnectAsync();
            await refused.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, because: "the refused sessions to finish");
        var state = balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends.Single();
        Assert.Equal(0, state.ActiveConnections);
        Assert.Equal(Failures, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, TestConfigs.TenantName, CloseReason.GlobalLimit));
        Assert.Equal(Failures, balancer.AccessLog.Count(r => r.Contains("end=global_limit", StringComparison.Ordinal)));

        // Not the backend's fault: no passive-health failure, and its one slot serves the next client.
        Assert.True(state.IsUp);
        using var served = await balancer.ConnectAsync();
        await served.SendTextAsync("ping\n", Deadline.After());
        Assert.Equal("ping", await served.ReadLineAsync(Deadline.After()));

        // One line per interval, not one per connection.
        Assert.Single(balancer.Logs.Messages("L4Balancer.Proxy"), m => m.Contains("cannot create a socket", StringComparison.Ordinal));
    }
}
