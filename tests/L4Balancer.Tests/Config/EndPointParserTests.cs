using System.Net;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public class EndPointParserTests
{
    [Theory]
    [InlineData("0.0.0.0:8443", "0.0.0.0:8443")]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    [InlineData("[::]:8443", "[::]:8443")]
    [InlineData("[::1]:65535", "[::1]:65535")]
    public void Parses_bind_addresses(string text, string expected)
    {
        Assert.True(EndPointParser.TryParseBind(text, out var endPoint, out var error), error);
        Assert.Equal(IPEndPoint.Parse(expected), endPoint);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("::1:80")]
    [InlineData("[127.0.0.1]:80")]
    [InlineData("10.1:80")]
    [InlineData("localhost:80")]
    [InlineData("[fe80::1%eth0]:80")]
    [InlineData(":80")]
    [InlineData("[]:80")]
    public void Rejects_bind_addresses_that_are_not_ip_and_port(string text)
    {
        Assert.False(EndPointParser.TryParseBind(text, out _, out var error));
        Assert.Equal($"\"{text}\" must be IPv4:port or [IPv6]:port", error);
    }

    [Theory]
    [InlineData("0.0.0.0:65536")]
    [InlineData("0.0.0.0:-1")]
    [InlineData("0.0.0.0:")]
    [InlineData("0.0.0.0:+80")]
    [InlineData("0.0.0.0:008080")]
    public void Rejects_bad_ports(string text)
    {
        Assert.False(EndPointParser.TryParseBind(text, out _, out var error));
        Assert.Equal($"\"{text}\" has an invalid port (0-65535)", error);
    }

    [Theory]
    [InlineData("10.1.0.11:443", "10.1.0.11", 443, "10.1.0.11")]
    [InlineData("[2001:db8::1]:443", "2001:db8::1", 443, "2001:db8::1")]
    [InlineData("api.internal:443", "api.internal", 443, null)]
    [InlineData("localhost:9001", "localhost", 9001, null)]
    public void Parses_backend_addresses(string text, string host, int expectedPort, string? literal)
    {
        Assert.True(EndPointParser.TryParseBackend(text, out var parsedHost, out var port, out var address, out var error), error);
        Assert.Equal(host, parsedHost);
        Assert.Equal(expectedPort, port);
        Assert.Equal(literal is null ? null : IPAddress.Parse(literal), address);
    }

    [Theory]
    [InlineData("10.1.0.11", "\"10.1.0.11\" must be IP:port, [IPv6]:port or host:port")]
    [InlineData("10.1.0:443", "\"10.1.0:443\" must be IP:port, [IPv6]:port or host:port")]
    [InlineData("[api.internal]:443", "\"[api.internal]:443\" must be IP:port, [IPv6]:port or host:port")]
    [InlineData("bad_host:443", "\"bad_host:443\" must be IP:port, [IPv6]:port or host:port")]
    [InlineData("2001:db8::1:443", "\"2001:db8::1:443\": an IPv6 address needs brackets, e.g. \"[2001:db8::1]:443\"")]
    [InlineData("10.1.0.11:0", "\"10.1.0.11:0\" has an invalid port (1-65535)")]
    [InlineData("api.internal:https", "\"api.internal:https\" has an invalid port (1-65535)")]
    public void Rejects_backend_addresses_with_a_reason(string text, string expected)
    {
        Assert.False(EndPointParser.TryParseBackend(text, out _, out _, out _, out var error));
        Assert.Equal(expected, error);
    }
}
