using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public class HostNameTests
{
    [Theory]
    [InlineData("llm.acme.example", "llm.acme.example")]
    [InlineData("LLM.Acme.Example.", "llm.acme.example")]
    [InlineData("*.acme.example", "*.acme.example")]
    [InlineData("*.example", "*.example")]
    [InlineData("localhost", "localhost")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("a-b.c1.example", "a-b.c1.example")]
    public void Normalizes_server_names(string text, string expected)
    {
        Assert.True(HostName.TryNormalizeServerName(text, out var name));
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("*.")]
    [InlineData("a.*.b")]
    [InlineData("*a.example")]
    [InlineData("**.example")]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("-a.example")]
    [InlineData("a-.example")]
    [InlineData("a_b.example")]
    [InlineData("bücher.example")]
    [InlineData("")]
    [InlineData(".")]
    public void Rejects_invalid_server_names(string text)
    {
        Assert.False(HostName.TryNormalizeServerName(text, out _));
    }

    [Fact]
    public void Rejects_overlong_labels_and_names()
    {
        Assert.True(HostName.TryNormalizeServerName(new string('a', 63) + ".example", out _));
        Assert.False(HostName.TryNormalizeServerName(new string('a', 64) + ".example", out _));
        var longName = string.Join('.', Enumerable.Repeat(new string('a', 63), 4));
        Assert.False(HostName.TryNormalizeServerName(longName, out _));
    }

    [Theory]
    [InlineData("api.internal", true)]
    [InlineData("localhost", true)]
    [InlineData("10.0.0", false)]
    [InlineData("*.example", false)]
    [InlineData("a b", false)]
    public void Validates_host_names(string text, bool valid)
    {
        Assert.Equal(valid, HostName.IsValidHostName(text));
    }
}
