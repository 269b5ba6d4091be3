using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Tests.Net;

public class AccessListTests
{
    [Fact]
    public void Empty_allows_everything()
    {
        Assert.True(AccessList.Empty.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.True(AccessList.Empty.IsAllowed(IPAddress.IPv6Loopback));
        Assert.True(AccessList.Empty.IsAllowed(UInt128.MaxValue));
    }

    [Theory]
    [InlineData("10.6.6.1", false)]
    [InlineData("10.6.6.255", false)]
    [InlineData("10.6.7.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("11.0.0.1", false)]
    [InlineData("::ffff:10.6.6.1", false)]
    [InlineData("::ffff:10.1.2.3", true)]
    public void Deny_inside_allow_denies(string address, bool allowed)
    {
        var acl = Acl(allow: ["10.0.0.0/8"], deny: ["10.6.6.0/24"]);
        Assert.Equal(allowed, acl.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("192.168.1.1", false)]
    [InlineData("192.168.7.7", true)]
    [InlineData("192.168.7.8", false)]
    [InlineData("8.8.8.8", false)]
    public void Allow_inside_deny_allows(string address, bool allowed)
    {
        // With an allow entry present, an unmatched address is denied too.
        var acl = Acl(allow: ["192.168.7.7/32"], deny: ["192.168.0.0/16"]);
        Assert.Equal(allowed, acl.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("203.0.113.9", false)]
    [InlineData("::ffff:203.0.113.9", false)]
    [InlineData("203.0.114.1", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("2001:db9::1", true)]
    [InlineData("::1", true)]
    public void Without_allow_entries_unmatched_addresses_are_allowed(string address, bool allowed)
    {
        var globalDeny = Acl(allow: [], deny: ["203.0.113.0/24", "2001:db8::/32"]);
        Assert.Equal(allowed, globalDeny.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void Ipv4_mapped_ipv6_source_matches_ipv4_prefix(string address, bool allowed)
    {
        var acl = Acl(allow: ["127.0.0.0/8"], deny: []);
        Assert.Equal(allowed, acl.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void Ipv6_loopback_host_prefix()
    {
        var acl = Acl(allow: ["::1/128"], deny: []);
        Assert.True(acl.IsAllowed(IPAddress.IPv6Loopback));
        Assert.False(acl.IsAllowed(IPAddress.Parse("::2")));
        Assert.False(acl.IsAllowed(IPAddress.Parse("::")));
        Assert.False(acl.IsAllowed(IPAddress.Loopback));

        var denyLoopback = Acl(allow: [], deny: ["::1/128"]);
        Assert.False(denyLoopback.IsAllowed(IPAddress.IPv6Loopback));
        Assert.True(denyLoopback.IsAllowed(IPAddress.Loopback));
    }

    [Fact]
    public void Same_prefix_in_allow_and_deny_denies()
    {
        var acl = Acl(allow: ["10.0.0.0/8", "10.1.0.0/16"], deny: ["::ffff:10.1.0.0/112"]);
        Assert.Equal(2, acl.Count);
        Assert.False(acl.IsAllowed(IPAddress.Parse("10.1.2.3")));
        Assert.True(acl.IsAllowed(IPAddress.Parse("10.2.2.3")));
    }

    [Fact]
    public void Allow_everything_but_one_host()
    {
        var acl = Acl(allow: ["0.0.0.0/0", "::/0"], deny: ["10.0.0.1/32"]);
        Assert.False(acl.IsAllowed(IPAddress.Parse("10.0.0.1")));
        Assert.True(acl.IsAllowed(IPAddress.Parse("10.0.0.2")));
        Assert.True(acl.IsAllowed(IPAddress.Parse("2001:db8::1")));
    }

    [Fact]
    public void Ipv4_default_allows_no_ipv6()
    {
        var acl = Acl(allow: ["0.0.0.0/0"], deny: []);
        Assert.True(acl.IsAllowed(IPAddress.Parse("198.51.100.1")));
        Assert.False(acl.IsAllowed(IPAddress.Parse("2001:db8::1")));
        Assert.False(acl.IsAllowed(IPAddress.IPv6Loopback));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Matches_longest_match_oracle_on_random_lists(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 30; round++)
        {
            var prefixes = CidrTableTests.RandomPrefixes(random, random.Next(0, 100));
            var allow = prefixes.Where(_ => random.Next(2) == 0).ToList();
            var deny = prefixes.Except(allow).Where(_ => random.Next(4) != 0).ToList();
            var acl = AccessList.Create(allow, deny);
            foreach (var address in CidrTableTests.RandomAddresses(random, prefixes, 200))
            {
                var bestAllow = allow.Where(p => p.Contains(address)).Select(p => p.Length).DefaultIfEmpty(-1).Max();
                var bestDeny = deny.Where(p => p.Contains(address)).Select(p => p.Length).DefaultIfEmpty(-1).Max();
                var expected = bestAllow < 0 && bestDeny < 0 ? allow.Count == 0 : bestAllow > bestDeny;
                Assert.Equal(expected, acl.IsAllowed(address));
            }
        }
    }

    private static AccessList Acl(string[] allow, string[] deny) =>
        AccessList.Create(allow.Select(IpPrefix.Parse), deny.Select(IpPrefix.Parse));
}
