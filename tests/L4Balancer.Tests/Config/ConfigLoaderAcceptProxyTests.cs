using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary><c>listener.accept_proxy</c> and <c>listener.trusted_proxies</c>: they go together, and the list is CIDRs.</summary>
public class ConfigLoaderAcceptProxyTests
{
    private static string Listener(string keys) => $"""
        [[listener]]
        name = "nlb"
        bind = "127.0.0.1:0"
        tenant = "acme"
        {keys}

        [[tenant]]
        name = "acme"
        [[tenant.backend]]
        address = "127.0.0.1:9001"
        """;

    [Fact]
    public void Accept_proxy_with_trusted_cidrs_of_both_families()
    {
        var config = Load(Listener("""
            accept_proxy = true
            trusted_proxies = ["10.0.0.0/8", "192.0.2.5/32", "2001:db8::/32"]
            """));

        var listener = Assert.Single(config.Listeners);
        Assert.True(listener.AcceptProxy);
        Assert.Equal(["10.0.0.0/8", "192.0.2.5/32", "2001:db8::/32"], listener.TrustedProxies.Select(p => p.ToString()));
        Assert.Contains("listener nlb 127.0.0.1:0 route=port tenant=acme accept_proxy trusted_proxies=10.0.0.0/8,192.0.2.5/32,2001:db8::/32", ConfigSummary.Format(config));
    }

    [Fact]
    public void Off_by_default()
    {
        var listener = Assert.Single(Load(Listener("")).Listeners);

        Assert.False(listener.AcceptProxy);
        Assert.Empty(listener.TrustedProxies);
    }

    [Fact]
    public void Accept_proxy_false_is_the_default_written_out()
    {
        Assert.False(Assert.Single(Load(Listener("accept_proxy = false")).Listeners).AcceptProxy);
    }

    [Fact]
    public void Accept_proxy_without_trusted_proxies_is_an_error()
    {
        AssertError(Listener("accept_proxy = true"), 5, "listener \"nlb\": accept_proxy = true needs trusted_proxies (the CIDRs allowed to send a PROXY header)");
    }

    [Fact]
    public void An_empty_trusted_list_is_an_error()
    {
        AssertError(Listener("""
            accept_proxy = true
            trusted_proxies = []
            """), 6, "listener \"nlb\": trusted_proxies is empty: with accept_proxy = true it must list the CIDRs allowed to send a PROXY header");
    }

    [Fact]
    public void Trusted_proxies_without_accept_proxy_is_an_error()
    {
        AssertError(Listener("""
            trusted_proxies = ["10.0.0.0/8"]
            """), 5, "listener \"nlb\": trusted_proxies is set but accept_proxy is not true (set accept_proxy = true, or remove trusted_proxies)");
    }

    [Fact]
    public void A_bad_cidr_is_reported_on_its_line_and_only_once()
    {
        AssertError(Listener("""
            accept_proxy = true
            trusted_proxies = [
              "10.0.0.1/8",
            ]
            """), 7, "listener \"nlb\": \"10.0.0.1/8\" has host bits set (did you mean \"10.0.0.0/8\"?)");
    }

    [Fact]
    public void Wrong_types_are_errors()
    {
        var errors = Errors(Listener("""
            accept_proxy = "yes"
            trusted_proxies = "10.0.0.0/8"
            """));

        Assert.Equal(
            [
                new ConfigError(FileName, 5, "listener \"nlb\": accept_proxy must be true or false, not a string"),
                new ConfigError(FileName, 6, "listener \"nlb\": trusted_proxies must be an array of strings, not a string"),
                new ConfigError(FileName, 6, "listener \"nlb\": trusted_proxies is set but accept_proxy is not true (set accept_proxy = true, or remove trusted_proxies)"),
            ],
            errors);
    }
}
