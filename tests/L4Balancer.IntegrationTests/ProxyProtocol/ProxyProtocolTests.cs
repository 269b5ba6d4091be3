using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.ProxyProtocol;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>
/// PROXY protocol toward our own backend, which parses the header with the strict parser: the header
/// carries the client and the address it connected to, and the client's bytes follow it unchanged.
/// </summary>
public class ProxyProtocolTests
{
    internal static ProxyProtocolMode Mode(string version) => version switch
    {
        "v1" => ProxyProtocolMode.V1,
        "v2" => ProxyProtocolMode.V2,
        _ => throw new ArgumentOutOfRangeException(nameof(version), version, null),
    };

    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.7");

    private static BalancerConfig Config(ProxyHeaderBackend backend, ProxyProtocolMode mode, IPEndPoint? bind = null)
    {
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend.Backend)], tenant: t => t with { ProxyProtocol = mode });
        return bind is null ? config : config with { Listeners = [config.Listeners[0] with { Bind = bind }] };
    }

    /// <summary>Sends a line right after connecting (so it is buffered while the balancer connects), expects "ok" and its echo.</summary>
    private static async Task<ProxyHeader> ExchangeAsync(ProxyHeaderBackend backend, IPEndPoint target, IPAddress from)
    {
        var token = Deadline.After();
        using var client = await SocketExtensions.ConnectToAsync(target, from, token);
        await client.SendTextAsync("hello, backend\n", token);

        Assert.Equal("ok", await client.ReadLineAsync(token));
        Assert.Equal("hello, backend", await client.ReadLineAsync(token));
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(token));

        var result = backend.Results.Last();
        Assert.Equal(client.LocalEndPoint, result.Header!.Source);
        return result.Header;
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task Backend_gets_the_client_and_destination_then_the_client_bytes_unchanged(string version)
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend, Mode(version)));

        var header = await ExchangeAsync(backend, balancer.EndPoint(), Client);

        Assert.Equal(version == "v1" ? 1 : 2, header.Version);
        Assert.Equal(ProxyCommand.Proxy, header.Command);
        Assert.Equal(ProxyAddressFamily.Inet, header.Family);
        Assert.True(header.IsStream);
        Assert.Equal(Client, header.Source!.Address);
        Assert.Equal(balancer.EndPoint(), header.Destination);
        Assert.Single(backend.Results);
    }

    [Ipv6LoopbackFact]
    public async Task Ipv6_clients_are_sent_as_tcp6()
    {
        foreach (var version in new[] { "v1", "v2" })
        {
            await using var backend = ProxyHeaderBackend.Start();
            await using var balancer = await BalancerHarness.StartAsync(Config(backend, Mode(version), new IPEndPoint(IPAddress.IPv6Loopback, 0)));

            var header = await ExchangeAsync(backend, balancer.EndPoint(), IPAddress.IPv6Loopback);

            Assert.Equal(ProxyAddressFamily.Inet6, header.Family);
            Assert.Equal(IPAddress.IPv6Loopback, header.Source!.Address);
            Assert.Equal(balancer.EndPoint(), header.Destination);
        }
    }

    [Ipv6LoopbackFact]
    public async Task Ipv4_clients_of_a_dual_stack_listener_are_sent_as_tcp4_not_as_mapped_ipv6()
    {
        foreach (var version in new[] { "v1", "v2" })
        {
            await using var backend = ProxyHeaderBackend.Start();
            await using var balancer = await BalancerHarness.StartAsync(Config(backend, Mode(version), new IPEndPoint(IPAddress.IPv6Any, 0)));
            var port = balancer.EndPoint().Port;

            var header = await ExchangeAsync(backend, new IPEndPoint(IPAddress.Loopback, port), Client);

            Assert.Equal(ProxyAddressFamily.Inet, header.Family);
            Assert.Equal(Client, header.Source!.Address);
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), header.Destination);
        }
    }

    [Fact]
    public async Task An_sni_peeked_client_hello_follows_the_header_byte_for_byte()
    {
        await using var backend = ProxyHeaderBackend.Start();
        var config = new BalancerConfig
        {
            Listeners = [new ListenerConfig { Name = TestConfigs.ListenerName, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Sni }],
            Tenants = [new TenantConfig { Name = "acme", Sni = ["llm.acme.example"], ProxyProtocol = ProxyProtocolMode.V2, Backends = [TestConfigs.Backend(backend.Backend)] }],
        };
        await using var balancer = await BalancerHarness.StartAsync(config);
        var hello = new ClientHelloBuilder { MessageSize = 3000, Records = 2 }.Build();
        var token = Deadline.After();

        using var client = await balancer.ConnectAsync(from: Client);
        await client.SendAllAsync(hello, token); // held in the client pipe until SNI chose the tenant and the backend is connected

        Assert.Equal("ok", await client.ReadLineAsync(token));
        var echoed = new byte[hello.Length];
        for (var read = 0; read < echoed.Length;)
        {
            var n = await client.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(hello, echoed);
        var header = Assert.Single(backend.Results).Header!;
        Assert.Equal((2, Client), (header.Version, header.Source!.Address));
    }

    [Fact]
    public async Task Off_sends_no_header()
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend, ProxyProtocolMode.Off));
        var token = Deadline.After();

        using var client = await balancer.ConnectAsync(from: Client);
        await client.SendTextAsync("GET / HTTP/1.1\r\n", token);

        Assert.StartsWith(nameof(ProxyHeaderStatus.NotProxyProtocol), await client.ReadLineAsync(token));
    }
}
