using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Tests.Net;

public class EndPointTextTests
{
    [Theory]
    [InlineData("[::ffff:127.0.0.1]:36962", "127.0.0.1:36962")] // an IPv4 client of a dual-stack listener
    [InlineData("[::ffff:203.0.113.9]:1", "203.0.113.9:1")]
    [InlineData("127.0.0.1:36962", "127.0.0.1:36962")]
    [InlineData("[2001:db8::7]:443", "[2001:db8::7]:443")]
    [InlineData("[::1]:80", "[::1]:80")]
    public void Formats_an_endpoint_as_an_operator_reads_it(string endPoint, string expected) =>
        Assert.Equal(expected, EndPointText.Format(IPEndPoint.Parse(endPoint)));

    [Fact]
    public void An_unknown_endpoint_is_a_dash() => Assert.Equal("-", EndPointText.Format(null));
}
