using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Tests.Net;

public class IpPrefixTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("10.6.6.0/24", "10.6.6.0/24")]
    [InlineData("192.168.1.7", "192.168.1.7/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("::/0", "::/0")]
    public void Parses_valid_prefixes(string text, string expected)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix, out var error), error);
        Assert.Equal(expected, prefix.ToString());
    }

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.0.0/8")]
    [InlineData("banana")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/ 8")]
    public void Rejects_non_prefixes(string text)
    {
        Assert.False(IpPrefix.TryParse(text, out _, out var error));
        Assert.Contains("is not a CIDR prefix", error);
    }

    [Fact]
    public void Rejects_host_bits()
    {
        Assert.False(IpPrefix.TryParse("10.0.0.1/8", out _, out var error));
        Assert.Contains("host bits", error);
        Assert.Contains("10.0.0.0/8", error);
    }

    [Fact]
    public void Ipv4_mapped_ipv6_matches_ipv4_prefix()
    {
        var prefix = IpPrefix.Parse("127.0.0.0/8");
        Assert.True(prefix.Contains(IPAddress.Parse("::ffff:127.0.0.2")));
        Assert.True(prefix.Contains(IPAddress.Parse("127.1.2.3")));
        Assert.False(prefix.Contains(IPAddress.Parse("128.0.0.1")));
        Assert.False(prefix.Contains(IPAddress.IPv6Loopback));
    }
}
