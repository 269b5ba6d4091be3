using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Proxy;

public class ListenerBindTests
{
    [Fact]
    public async Task A_bind_written_as_an_IPv4_mapped_address_listens_on_that_IPv4_address()
    {
        await using var backend = TestBackend.Echo();
        var loaded = ConfigLoader.Parse($$"""
            [[listener]]
            name = "{{TestConfigs.ListenerName}}"
            bind = "[::ffff:127.0.0.1]:0"
            tenant = "{{TestConfigs.TenantName}}"

            [[tenant]]
            name = "{{TestConfigs.TenantName}}"

            [[tenant.backend]]
            address = "{{backend.EndPoint}}"
            """, "mapped.toml");
        Assert.True(loaded.IsValid, string.Join('\n', loaded.Errors));

        await using var balancer = await BalancerHarness.StartAsync(loaded.Config);
        var bound = balancer.EndPoint();
        Assert.Equal(IPAddress.Loopback, bound.Address);

        using var client = await SocketExtensions.ConnectToAsync(new IPEndPoint(IPAddress.Loopback, bound.Port));
        await client.SendTextAsync("mapped\n", Deadline.After());
        Assert.Equal("mapped", await client.ReadLineAsync(Deadline.After()));
    }
}
