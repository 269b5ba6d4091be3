using System.Net;
using System.Net.Sockets;
using System.Text;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.ProxyProtocol;

/// <summary>
/// Interop with real PROXY protocol receivers: a client bound to 127.0.0.7 must be reported by nginx
/// and by HAProxy as 127.0.0.7 and its own port, through the balancer, with v1 and with v2. "off" is
/// the control: the peers really require the header, so without it they answer nothing.
/// </summary>
public class RealPeerTests
{
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.7");

    private static ProxyProtocolMode Mode(string version) => version == "off" ? ProxyProtocolMode.Off : ProxyProtocolTests.Mode(version);

    private static BalancerConfig Config(PeerProcess peer, string version) =>
        TestConfigs.PortRouted([TestConfigs.Backend(peer.EndPoint)], tenant: t => t with { ProxyProtocol = Mode(version) });

    [NginxTheory]
    [InlineData("v1")]
    [InlineData("v2")]
    [InlineData("off")]
    public async Task Nginx_reports_the_client_from_the_header(string version)
    {
        await using var nginx = await ProxyProtocolPeers.StartNginxAsync();
        await using var balancer = await BalancerHarness.StartAsync(Config(nginx, version));
        var token = Deadline.After();

        using var client = await balancer.ConnectAsync(from: Client);
        var expected = $"127.0.0.7:{((IPEndPoint)client.LocalEndPoint!).Port}";
        if (version == "off")
        {
            // nginx reads "hello" where the header should be, logs a broken header and closes.
            await client.SendTextAsync("hello\r\n", token);
        }

        var answer = await ReadAllOrResetAsync(client, token);

        Assert.True(version == "off" ? answer.Length == 0 : answer == expected + "\n", $"nginx answered \"{answer}\"\n{nginx.Diagnostics()}");
    }

    [HaproxyTheory]
    [InlineData("v1")]
    [InlineData("v2")]
    [InlineData("off")]
    public async Task Haproxy_reports_the_client_from_the_header(string version)
    {
        await using var haproxy = await ProxyProtocolPeers.StartHaproxyAsync();
        await using var balancer = await BalancerHarness.StartAsync(Config(haproxy, version));
        var token = Deadline.After();

        using var client = await balancer.ConnectAsync(from: Client);
        var expected = $"127.0.0.7:{((IPEndPoint)client.LocalEndPoint!).Port}";
        await client.SendTextAsync("GET / HTTP/1.1\r\nHost: peer.test\r\nConnection: close\r\n\r\n", token);

        var answer = await ReadAllOrResetAsync(client, token);

        if (version == "off")
        {
            Assert.DoesNotContain("200", answer);
            return;
        }

        Assert.StartsWith("HTTP/1.1 200", answer);
        var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.Equal(expected, body);
    }

    /// <summary>Everything until the peer closes; a reset (a peer refusing the connection may send one) ends it too.</summary>
    private static async Task<string> ReadAllOrResetAsync(Socket socket, CancellationToken token)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
