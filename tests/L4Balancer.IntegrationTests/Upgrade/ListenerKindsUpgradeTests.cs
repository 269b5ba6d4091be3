using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Issue 12 item 6: every kind of listener is handed over, not bound again: IPv6, dual stack (serving
/// IPv4 too), and a listener on port 0, which keeps the port the kernel chose for it.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class ListenerKindsUpgradeTests
{
    private static IPEndPoint FreeDualStackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        probe.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return new IPEndPoint(IPAddress.IPv6Any, ((IPEndPoint)probe.LocalEndPoint!).Port);
    }

    private static IPEndPoint FreeIpv6LoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!;
    }

    private static async Task AssertEchoesAsync(IPEndPoint target, string text)
    {
        using var client = await SocketExtensions.ConnectToAsync(target);
        await client.SendTextAsync(text + "\n", Deadline.After());
        Assert.Equal(text, await client.ReadLineAsync(Deadline.After()));
    }

    private static string BoundAddress(UpgradeStatus status, string listener) =>
        JsonDocument.Parse(status.Text).RootElement.GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("name").GetString() == listener).GetProperty("bound_address").GetString()!;

    [Ipv6LoopbackFact]
    public async Task Ipv6_dual_stack_and_port_zero_listeners_keep_their_sockets()
    {
        await using var backend = TestBackend.Echo();
        var ports = new UpgradePorts(FreeIpv6LoopbackPort(), FreeDualStackPort(), TestConfigs.ClosedPort());
        var body = $"""
            [global]
            drain_timeout = "30s"

            [admin]
            listen = "{ports.Admin}"
            token = "env:{UpgradeConfigs.TokenVariable}"

            [[listener]]
            name = "plain"
            bind = "{ports.Plain}"
            tenant = "t1"

            [[listener]]
            name = "tls"
            bind = "{ports.Tls}"
            tenant = "t1"

            [[listener]]
            name = "zero"
            bind = "127.0.0.1:0"
            tenant = "t1"

            [[tenant]]
            name = "t1"

            [[tenant.backend]]
            address = "{backend.EndPoint}"
            """;
        await using var rig = await UpgradeRig.StartAsync(body, ports);
        var zero = IPEndPoint.Parse(BoundAddress(await rig.Admin.StatusAsync(), "zero"));
        Assert.NotEqual(0, zero.Port);

        var outcome = await rig.UpgradeAsync();
        Assert.True(outcome.Succeeded, outcome.Line);
        foreach (var name in new[] { "plain", "tls", "zero" })
        {
            await rig.First.WaitForLineAsync($@"listener {name} accepting on .* \(socket handed over");
        }

        var status = await rig.Admin.StatusAsync();
        Assert.Equal(outcome.NewPid, status.Pid);
        Assert.Equal(zero, IPEndPoint.Parse(BoundAddress(status, "zero")));
        Assert.Equal(0, await rig.ExitCodeAsync(rig.First.Id));

        // Only the new process holds the sockets now: each one answers, the dual-stack one in both families.
        await AssertEchoesAsync(ports.Plain, "ipv6 loopback");
        await AssertEchoesAsync(new IPEndPoint(IPAddress.IPv6Loopback, ports.Tls.Port), "dual stack over ipv6");
        await AssertEchoesAsync(new IPEndPoint(IPAddress.Loopback, ports.Tls.Port), "dual stack over ipv4");
        await AssertEchoesAsync(zero, "port zero kept its port");

        Assert.Equal(0, await rig.StopAsync());
    }
}
