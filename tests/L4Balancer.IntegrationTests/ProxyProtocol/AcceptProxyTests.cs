using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Model;
using L4Balancer.Core.Net;
using L4Balancer.Core.ProxyProtocol;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.IntegrationTests.Limits;
using L4Balancer.TestSupport.Tls;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>
/// PROXY protocol in (<c>listener.accept_proxy</c>): the test client plays the trusted proxy on
/// 127.0.0.1 and sends a header naming another client; every later stage must see that client (the
/// deny lists, the per-IP limit, the access log, the header sent on to the backend, which is our
/// strict-parsing <see cref="ProxyHeaderBackend"/>), and the client bytes that follow the header,
/// in the same write or later, reach the backend unchanged. Anything else is closed as proxy_header.
/// </summary>
public class AcceptProxyTests
{
    private static readonly IPEndPoint ClaimedV4 = IPEndPoint.Parse("198.51.100.7:40001");
    private static readonly IPEndPoint DestinationV4 = IPEndPoint.Parse("203.0.113.10:443");
    private static readonly IPEndPoint ClaimedV6 = IPEndPoint.Parse("[2001:db8::7]:40001");
    private static readonly IPEndPoint DestinationV6 = IPEndPoint.Parse("[2001:db8::1]:443");

    private static BalancerConfig Config(
        ProxyHeaderBackend backend,
        string trusted = "127.0.0.0/8",
        Func<GlobalConfig, GlobalConfig>? global = null,
        Func<TenantConfig, TenantConfig>? tenant = null)
    {
        var config = TestConfigs.PortRouted(
            [TestConfigs.Backend(backend.Backend)],
            tenant: t => (tenant?.Invoke(t) ?? t) with { ProxyProtocol = ProxyProtocolMode.V2 },
            global: global);
        return AcceptingProxy(config, trusted);
    }

    private static BalancerConfig AcceptingProxy(BalancerConfig config, string trusted) =>
        config with { Listeners = [config.Listeners[0] with { AcceptProxy = true, TrustedProxies = [IpPrefix.Parse(trusted)] }] };

    internal static byte[] Header(string version, IPEndPoint? source, IPEndPoint? destination)
    {
        var buffer = new byte[ProxyHeaderWriter.BufferSize];
        return buffer[..ProxyHeaderWriter.Write(ProxyProtocolTests.Mode(version), source, destination, buffer)];
    }

    /// <summary>v2 LOCAL: what a load balancer in front sends on its own health checks.</summary>
    private static byte[] LocalHeader()
    {
        var header = new byte[16];
        ProxyHeaderWriter.V2Signature.CopyTo(header);
        header[12] = 0x20;
        return header;
    }

    private static long Rejected(BalancerHarness balancer, CloseReason reason, string tenant = "") =>
        balancer.Engine.Rejections.Get(TestConfigs.ListenerName, tenant, reason);

    /// <summary>
    /// Sends the header and a line, together or the line only once the backend has answered (so the
    /// header was read and acted on alone); expects the backend's "ok" and the line's echo.
    /// </summary>
    private static async Task<Socket> ExchangeAsync(BalancerHarness balancer, byte[] header, bool sameWrite)
    {
        var token = Deadline.After();
        var client = await balancer.ConnectAsync(from: IPAddress.Loopback);
        var line = "hello, backend\n"u8.ToArray();
        if (sameWrite)
        {
            await client.SendAllAsync((byte[])[.. header, .. line], token);
            Assert.Equal("ok", await client.ReadLineAsync(token));
        }
        else
        {
            await client.SendAllAsync(header, token);
            Assert.Equal("ok", await client.ReadLineAsync(token));
            await client.SendAllAsync(line, token);
        }

        Assert.Equal("hello, backend", await client.ReadLineAsync(token));
        return client;
    }

    /// <summary>True when the balancer closed the connection before any backend answered.</summary>
    private static async Task<bool> IsClosedAsync(Socket client)
    {
        var closed = await client.WaitForCloseAsync(Deadline.After());
        return closed is SocketError.Success or SocketError.ConnectionReset;
    }

    [Theory]
    [InlineData("v1", 4, true)]
    [InlineData("v1", 4, false)]
    [InlineData("v1", 6, true)]
    [InlineData("v1", 6, false)]
    [InlineData("v2", 4, true)]
    [InlineData("v2", 4, false)]
    [InlineData("v2", 6, true)]
    [InlineData("v2", 6, false)]
    public async Task The_headers_client_is_the_client_and_the_bytes_after_the_header_reach_the_backend(string version, int family, bool sameWrite)
    {
        var (claimed, destination) = family == 4 ? (ClaimedV4, DestinationV4) : (ClaimedV6, DestinationV6);
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend));

        using (var client = await ExchangeAsync(balancer, Header(version, claimed, destination), sameWrite))
        {
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(Deadline.After()));

            // The header we send on names the proxied client and the address it connected to, not the proxy.
            var sent = Assert.Single(backend.Results).Header!;
            Assert.Equal((claimed, destination), (sent.Source, sent.Destination));

            await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=closed")), because: "the session's access-log record");
            var record = Assert.Single(balancer.AccessLog);
            Assert.Contains($"client={claimed} via={client.LocalEndPoint} ", record);
            Assert.Contains("bytes_in=15 bytes_out=", record); // the line only: the header is not counted
        }

        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task A_v2_local_header_is_accepted_with_the_connections_own_addresses()
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend));

        using var client = await ExchangeAsync(balancer, LocalHeader(), sameWrite: true);

        var sent = Assert.Single(backend.Results).Header!;
        Assert.Equal(client.LocalEndPoint, sent.Source);
        Assert.Equal(balancer.EndPoint(), sent.Destination);
    }

    [Fact]
    public async Task A_v1_unknown_line_is_accepted_with_the_connections_own_addresses()
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend));

        using var client = await ExchangeAsync(balancer, "PROXY UNKNOWN\r\n"u8.ToArray(), sameWrite: false);

        Assert.Equal(client.LocalEndPoint, Assert.Single(backend.Results).Header!.Source);
    }

    [Theory]
    [InlineData("v1", true)]
    [InlineData("v2", true)]
    [InlineData("v2", false)]
    public async Task An_sni_listener_reads_the_hello_after_the_header_and_replays_it_byte_for_byte(string version, bool sameWrite)
    {
        await using var backend = ProxyHeaderBackend.Start();
        var config = AcceptingProxy(new BalancerConfig
        {
            Listeners = [new ListenerConfig { Name = TestConfigs.ListenerName, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Sni }],
            Tenants = [new TenantConfig { Name = "acme", Sni = ["llm.acme.example"], ProxyProtocol = ProxyProtocolMode.V2, Backends = [TestConfigs.Backend(backend.Backend)] }],
        }, "127.0.0.0/8");
        await using var balancer = await BalancerHarness.StartAsync(config);
        var hello = new ClientHelloBuilder { MessageSize = 3000, Records = 2 }.Build();
        var header = Header(version, ClaimedV4, DestinationV4);
        var token = Deadline.After();

        using var client = await balancer.ConnectAsync();
        if (sameWrite)
        {
            await client.SendAllAsync((byte[])[.. header, .. hello], token);
        }
        else
        {
            await client.SendAllAsync(header, token);
            await Deadline.UntilAsync(() => balancer.Engine.Connections.Enumerate().Any(s => s.ClientEndPoint!.Equals(ClaimedV4)), because: "the header to be read");
            await client.SendAllAsync(hello, token);
        }

        Assert.Equal("ok", await client.ReadLineAsync(token));
        var echoed = new byte[hello.Length];
        for (var read = 0; read < echoed.Length;)
        {
            var n = await client.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(hello, echoed);
        Assert.Equal(ClaimedV4, Assert.Single(backend.Results).Header!.Source);
        client.Shutdown(SocketShutdown.Send);
        await client.WaitForCloseAsync(token);
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=closed")), because: "the session's access-log record");
        Assert.Contains($"client={ClaimedV4} via={client.LocalEndPoint} sni=llm.acme.example ", Assert.Single(balancer.AccessLog));
    }

    [Fact]
    public async Task A_peer_outside_trusted_proxies_is_closed_and_counted_even_with_a_valid_header()
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend, trusted: "10.0.0.0/8"));

        using var client = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await client.SendAllAsync(Header("v2", ClaimedV4, DestinationV4), Deadline.After());

        Assert.True(await IsClosedAsync(client));
        Assert.Equal(1, Rejected(balancer, CloseReason.ProxyHeader));
        Assert.Equal(0, backend.Backend.Total);
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=proxy_header")), because: "the rejection's access-log record");
        Assert.Contains($"client={client.LocalEndPoint} via={client.LocalEndPoint} ", Assert.Single(balancer.AccessLog));
        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("v1_three_fields")]
    [InlineData("v1_bare_lf")]
    [InlineData("v1_leading_zero")]
    [InlineData("v2_bad_version")]
    [InlineData("v2_oversized")]
    [InlineData("truncated_v1")]
    [InlineData("truncated_v2")]
    public async Task A_malformed_or_truncated_header_is_closed_and_counted(string kind)
    {
        var v2 = Header("v2", ClaimedV4, DestinationV4);
        byte[] bytes = kind switch
        {
            "missing" => "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(),
            "v1_three_fields" => "PROXY TCP4 198.51.100.7 203.0.113.10 40001\r\n"u8.ToArray(),
            "v1_bare_lf" => "PROXY TCP4 198.51.100.7 203.0.113.10 40001 443\n"u8.ToArray(),
            "v1_leading_zero" => "PROXY TCP4 198.51.100.07 203.0.113.10 40001 443\r\n"u8.ToArray(),
            "v2_bad_version" => [.. v2[..12], 0x31, .. v2[13..]],
            "v2_oversized" => [.. v2[..14], 0xFF, 0xFF],
            "truncated_v1" => Header("v1", ClaimedV4, DestinationV4)[..20],
            "truncated_v2" => v2[..20],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        await using var backend = ProxyHeaderBackend.Start();

        // Time stands still: nothing is closed for being slow, only for what it sent.
        await using var balancer = await BalancerHarness.StartAsync(Config(backend), new FakeTimeProvider());

        using var client = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await client.SendAllAsync(bytes, Deadline.After());
        if (kind.StartsWith("truncated", StringComparison.Ordinal))
        {
            client.Shutdown(SocketShutdown.Send);
        }

        Assert.True(await IsClosedAsync(client));
        Assert.Equal(1, Rejected(balancer, CloseReason.ProxyHeader));
        Assert.Equal(0, backend.Backend.Total);
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=proxy_header")), because: "the rejection's access-log record");
        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task A_header_not_complete_within_client_hello_timeout_is_closed_as_proxy_header_not_hello_timeout()
    {
        var time = new FakeTimeProvider();
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend, global: g => g with { ClientHelloTimeout = TimeSpan.FromSeconds(5) }), time);

        using var slow = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await slow.SendAllAsync(Header("v1", ClaimedV4, DestinationV4)[..20], Deadline.After());
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 1, because: "the connection to be waiting for its header");
        Assert.False(slow.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead), "closed before its time was up");

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(await IsClosedAsync(slow));
        Assert.Equal(1, Rejected(balancer, CloseReason.ProxyHeader));
        Assert.Equal(0, Rejected(balancer, CloseReason.HelloTimeout));
        await Slots.AssertAllReleasedAsync(balancer);
    }

    [Fact]
    public async Task A_connection_waiting_for_its_header_counts_against_max_connections()
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend, global: g => g with { MaxConnections = 1 }), new FakeTimeProvider());

        using var silent = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await Deadline.UntilAsync(() => balancer.Engine.Limits.Connections.Count == 1, because: "the silent connection to hold its slot");
        using var second = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await second.SendAllAsync(Header("v2", ClaimedV4, DestinationV4), Deadline.After());

        Assert.True(await IsClosedAsync(second));
        Assert.Equal(1, Rejected(balancer, CloseReason.GlobalLimit));
        Assert.Equal(0, backend.Backend.Total);
    }

    [Fact]
    public async Task The_global_deny_list_sees_the_headers_client()
    {
        await using var backend = ProxyHeaderBackend.Start();
        var config = Config(backend, global: g => g with { Deny = [IpPrefix.Parse("198.51.100.0/24")] });
        await using var balancer = await BalancerHarness.StartAsync(config);

        using var denied = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await denied.SendAllAsync(Header("v1", ClaimedV4, DestinationV4), Deadline.After());
        Assert.True(await IsClosedAsync(denied));
        using var allowed = await ExchangeAsync(balancer, Header("v1", IPEndPoint.Parse("192.0.2.9:5000"), DestinationV4), sameWrite: true);

        Assert.Equal(1, Rejected(balancer, CloseReason.IpDenied));
        Assert.Equal(1, backend.Backend.Total);
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=ip_denied")), because: "the rejection's access-log record");
        Assert.Contains(balancer.AccessLog, l => l.Contains($"client={ClaimedV4} ") && l.Contains("end=ip_denied"));
    }

    [Fact]
    public async Task The_tenant_deny_list_sees_the_headers_client()
    {
        await using var backend = ProxyHeaderBackend.Start();
        var config = Config(backend, tenant: t => t with { Deny = [IpPrefix.Parse("2001:db8::/32")] });
        await using var balancer = await BalancerHarness.StartAsync(config);

        using var denied = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await denied.SendAllAsync(Header("v2", ClaimedV6, DestinationV6), Deadline.After());
        Assert.True(await IsClosedAsync(denied));
        using var allowed = await ExchangeAsync(balancer, Header("v2", ClaimedV4, DestinationV4), sameWrite: false);

        Assert.Equal(1, Rejected(balancer, CloseReason.IpDenied, TestConfigs.TenantName));
        Assert.Equal(1, backend.Backend.Total);
    }

    [Fact]
    public async Task The_per_ip_limit_counts_the_headers_client_not_the_proxy()
    {
        await using var backend = ProxyHeaderBackend.Start();
        await using var balancer = await BalancerHarness.StartAsync(Config(backend, global: g => g with { MaxConnectionsPerIp = 1 }));

        // All three come from 127.0.0.1, the proxy; the first and third name different clients.
        using (var first = await ExchangeAsync(balancer, Header("v2", ClaimedV4, DestinationV4), sameWrite: true))
        {
            using var sameClient = await balancer.ConnectAsync(from: IPAddress.Loopback);
            await sameClient.SendAllAsync(Header("v1", ClaimedV4, DestinationV4), Deadline.After());
            Assert.True(await IsClosedAsync(sameClient));
            using var otherClient = await ExchangeAsync(balancer, Header("v2", IPEndPoint.Parse("198.51.100.8:40001"), DestinationV4), sameWrite: true);

            Assert.Equal(1, Rejected(balancer, CloseReason.PerIpLimit));
            Assert.Equal(2, backend.Backend.Total);
            Assert.Equal(1, balancer.Engine.Limits.ConnectionsPerIp.CountFor(ClaimedV4.Address));
            Assert.Equal(0, balancer.Engine.Limits.ConnectionsPerIp.CountFor(IPAddress.Loopback));
        }

        await Deadline.UntilAsync(() => balancer.Engine.Limits.ConnectionsPerIp.CountFor(ClaimedV4.Address) == 0, because: "the first client's slot to come back");
        using var again = await ExchangeAsync(balancer, Header("v1", ClaimedV4, DestinationV4), sameWrite: false);
    }

    [Fact]
    public async Task A_reload_applies_a_new_trusted_list_to_new_connections()
    {
        await using var backend = ProxyHeaderBackend.Start();
        var config = Config(backend, trusted: "10.0.0.0/8");
        await using var balancer = await BalancerHarness.StartAsync(config);

        using var refused = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await refused.SendAllAsync(Header("v2", ClaimedV4, DestinationV4), Deadline.After());
        Assert.True(await IsClosedAsync(refused));

        var reload = await balancer.Engine.ReloadAsync(AcceptingProxy(config, "127.0.0.1/32"), Deadline.After());
        Assert.True(reload.Succeeded, string.Join("\n", reload.Errors));

        using var served = await ExchangeAsync(balancer, Header("v2", ClaimedV4, DestinationV4), sameWrite: true);
        Assert.Equal(ClaimedV4, Assert.Single(backend.Results).Header!.Source);
    }

    [NginxTheory]
    [InlineData("v1", "v1")]
    [InlineData("v1", "v2")]
    [InlineData("v2", "v1")]
    [InlineData("v2", "v2")]
    public async Task Nginx_behind_the_balancer_reports_the_client_of_the_header_the_balancer_received(string received, string sent)
    {
        await using var nginx = await ProxyProtocolPeers.StartNginxAsync();
        var config = AcceptingProxy(
            TestConfigs.PortRouted([TestConfigs.Backend(nginx.EndPoint)], tenant: t => t with { ProxyProtocol = ProxyProtocolTests.Mode(sent) }),
            "127.0.0.0/8");
        await using var balancer = await BalancerHarness.StartAsync(config);
        var token = Deadline.After();

        using var client = await balancer.ConnectAsync(from: IPAddress.Loopback);
        await client.SendAllAsync(Header(received, ClaimedV4, DestinationV4), token);
        var answer = System.Text.Encoding.ASCII.GetString(await client.ReadToEndAsync(token));

        Assert.True(answer == $"{ClaimedV4}\n", $"nginx answered \"{answer}\"\n{nginx.Diagnostics()}");
    }
}
