using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health;
using L4Balancer.Core.ProxyProtocol;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Lifecycle;

/// <summary>What a real active check puts on the wire: nothing, or a PROXY header that names no client.</summary>
public class ProbeProxyHeaderTests
{
    private static async Task<(bool Passed, byte[] Received)> ProbeAsync(ProxyProtocolMode mode)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var probe = new HealthProbe(TimeProvider.System);
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var backend = new BackendState("t", new BackendConfig { Address = endPoint.ToString(), EndPoint = endPoint });
        var passed = probe.ProbeAsync(backend, new HealthConfig { Timeout = TimeSpan.FromSeconds(10) }, mode, Deadline.After()).AsTask();

        using var accepted = await listener.AcceptAsync(Deadline.After());
        var received = new MemoryStream();
        var buffer = new byte[256];
        int n;
        while ((n = await accepted.ReceiveAsync(buffer, SocketFlags.None, Deadline.After())) > 0)
        {
            received.Write(buffer, 0, n); // until the probe's FIN
        }

        return ((await passed.WaitAsync(Deadline.After())).Passed, received.ToArray());
    }

    [Fact]
    public async Task Without_proxy_protocol_the_check_sends_nothing()
    {
        var (passed, received) = await ProbeAsync(ProxyProtocolMode.Off);
        Assert.True(passed);
        Assert.Empty(received);
    }

    [Fact]
    public async Task A_v1_backend_gets_PROXY_UNKNOWN()
    {
        var (passed, received) = await ProbeAsync(ProxyProtocolMode.V1);
        Assert.True(passed);
        Assert.Equal("PROXY UNKNOWN\r\n"u8.ToArray(), received);
        Assert.True(ProxyHeaderParser.Parse(received).IsComplete);
    }

    [Fact]
    public async Task A_v2_backend_gets_a_LOCAL_header()
    {
        var (passed, received) = await ProbeAsync(ProxyProtocolMode.V2);
        Assert.True(passed);
        var parsed = ProxyHeaderParser.Parse(received);
        Assert.True(parsed.IsComplete, parsed.ToString());
        Assert.Equal(ProxyCommand.Local, parsed.Header!.Command);
        Assert.Equal(ProxyHeaderWriter.V2FixedLength, received.Length);
    }
}
