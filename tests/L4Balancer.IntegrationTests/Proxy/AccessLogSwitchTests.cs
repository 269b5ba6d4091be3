using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Proxy;

/// <summary><c>[global] access_log</c>: a record per finished connection by default (SPEC), none when off.</summary>
public class AccessLogSwitchTests
{
    private static async Task RelayOneLineAndCloseAsync(BalancerHarness balancer)
    {
        using var client = await balancer.ConnectAsync();
        await client.SendTextAsync("hi\n", Deadline.After());
        Assert.Equal("hi", await client.ReadLineAsync(Deadline.After()));
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_record_per_connection_unless_turned_off(bool accessLog)
    {
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], global: g => g with { AccessLog = accessLog });
        await using var balancer = await BalancerHarness.StartAsync(config);

        await RelayOneLineAndCloseAsync(balancer);
        await RelayOneLineAndCloseAsync(balancer);

        // The session's bookkeeping (counters, then the record) ends just after the client sees the close.
        var counters = balancer.Engine.Current.Tenants[TestConfigs.TenantName].Counters;
        await Deadline.UntilAsync(() => counters.Total == 2 && counters.Active == 0 && balancer.Engine.Connections.Count == 0, because: "both sessions to finish");
        Assert.Equal(accessLog ? 2 : 0, balancer.AccessLog.Count(l => l.Contains("end=closed")));
        Assert.Equal(2 * 3, counters.BytesClientToBackend); // counting does not depend on the log
        Assert.Equal(2 * 3, counters.BytesBackendToClient);
    }
}
