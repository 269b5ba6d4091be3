using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.Core.Net;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Net;

public class AccessControlTests
{
    private static IpPrefix[] Prefixes(params string[] texts) => texts.Select(IpPrefix.Parse).ToArray();

    /// <summary>True when the client got the backend's greeting; false when the balancer closed it first.</summary>
    private static async Task<bool> IsServedAsync(BalancerHarness balancer, IPAddress from, string listener = TestConfigs.ListenerName)
    {
        using var client = await balancer.ConnectAsync(listener, from);
        try
        {
            var line = await client.ReadLineAsync(Deadline.After());
            return line.Length > 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Longest_prefix_decides_deny_inside_allow_and_allow_inside_deny()
    {
        await using var backend = TestBackend.Named("ok");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with
        {
            Allow = Prefixes("127.0.0.0/8", "127.0.0.66/32"),
            Deny = Prefixes("127.0.0.64/26"),
        });
        await using var balancer = await BalancerHarness.StartAsync(config);

        Assert.True(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.2")));    // allow /8
        Assert.False(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.65")));  // deny /26 inside allow /8
        Assert.True(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.66")));   // allow /32 inside deny /26
        Assert.False(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.127"))); // deny /26 again

        var served = backend.Total;
        Assert.Equal(2, served); // denied connections never reached the backend
        Assert.Equal(2, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, TestConfigs.TenantName, CloseReason.IpDenied));
    }

    [Fact]
    public async Task Without_allow_entries_everything_but_deny_is_allowed()
    {
        await using var backend = TestBackend.Named("ok");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { Deny = Prefixes("127.0.0.7/32") });
        await using var balancer = await BalancerHarness.StartAsync(config);

        Assert.False(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.7")));
        Assert.True(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.8")));
        Assert.Equal(1, backend.Total);
    }

    [Fact]
    public async Task Allow_entries_deny_addresses_they_do_not_cover()
    {
        await using var backend = TestBackend.Named("ok");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with { Allow = Prefixes("127.0.0.10/31") });
        await using var balancer = await BalancerHarness.StartAsync(config);

        Assert.True(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.11")));
        Assert.False(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.12")));
    }

    [Fact]
    public async Task Global_deny_is_checked_first_and_counted_without_a_tenant()
    {
        await using var backend = TestBackend.Named("ok");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)],
            tenant: t => t with { Allow = Prefixes("127.0.0.0/8") },
            global: g => g with { Deny = Prefixes("127.0.0.9/32") });
        await using var balancer = await BalancerHarness.StartAsync(config);

        Assert.False(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.9")));
        Assert.True(await IsServedAsync(balancer, IPAddress.Parse("127.0.0.19")));
        Assert.Equal(1, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", CloseReason.IpDenied));
        Assert.Equal(0, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, TestConfigs.TenantName, CloseReason.IpDenied));
    }

    [Ipv6LoopbackFact]
    public async Task Ipv6_loopback_and_ipv4_mapped_sources_on_a_dual_stack_listener()
    {
        await using var backend = TestBackend.Named("ok");
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], tenant: t => t with
        {
            Allow = Prefixes("::1/128", "127.0.0.0/8"),
            Deny = Prefixes("127.0.0.5/32"),
        });
        config = config with { Listeners = [config.Listeners[0] with { Bind = new IPEndPoint(IPAddress.IPv6Any, 0) }] };
        await using var balancer = await BalancerHarness.StartAsync(config);
        var port = balancer.EndPoint().Port;

        async Task<bool> Served(IPAddress target, IPAddress from)
        {
            using var client = await SocketExtensions.ConnectToAsync(new IPEndPoint(target, port), from);
            try
            {
                return (await client.ReadLineAsync(Deadline.After())).Length > 0;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        Assert.True(await Served(IPAddress.IPv6Loopback, IPAddress.IPv6Loopback));
        // IPv4 clients arrive as ::ffff:127.0.0.x on the dual-stack socket and match the IPv4 prefixes.
        Assert.True(await Served(IPAddress.Loopback, IPAddress.Parse("127.0.0.4")));
        Assert.False(await Served(IPAddress.Loopback, IPAddress.Parse("127.0.0.5")));
    }
}
