using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary>
/// A config without listeners used to be valid: one truncated deploy, reloaded, removed every listener
/// (issue 11). It is an error now, for check, start and reload alike (they share the loader).
/// </summary>
public class ConfigLoaderListenerRequiredTests
{
    private const string Expected = "test.toml: no [[listener]]: a balancer needs at least one listener";

    [Theory]
    [InlineData("")]
    [InlineData("[global]\n")]
    [InlineData("[global]\nmax_connections = 10\n")]
    [InlineData("\n   \n# only a comment\n\t\n")]
    public void A_config_without_listeners_is_an_error(string toml)
    {
        var result = ConfigLoader.Parse(toml, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns);

        Assert.False(result.IsValid);
        Assert.Equal(Expected, Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Tenants_without_a_listener_are_an_error_too()
    {
        var result = ConfigLoader.Parse("""
            [[tenant]]
            name = "acme"

            [[tenant.backend]]
            address = "10.0.0.1:443"
            """, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns);

        Assert.Equal(Expected, Assert.Single(result.Errors).ToString());
    }

    private const string SniListener = """
        [[listener]]
        name = "tls"
        bind = "127.0.0.1:0"
        route = "sni"

        """;

    [Fact]
    public void An_sni_listener_with_no_tenant_to_route_to_is_an_error()
    {
        var result = ConfigLoader.Parse(SniListener, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns);

        Assert.Equal(
            "test.toml:1: listener \"tls\": route \"sni\" without a fallback tenant needs a tenant that claims server names (sni = [...]); as written it refuses every connection",
            Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void An_sni_listener_with_tenants_that_claim_no_names_is_an_error()
    {
        var result = ConfigLoader.Parse(SniListener + """
            [[tenant]]
            name = "acme"

            [[tenant.backend]]
            address = "10.0.0.1:443"
            """, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns);

        Assert.Equal(1, Assert.Single(result.Errors).Line);
    }

    [Theory]
    [InlineData("tenant = \"acme\"\n", "")]
    [InlineData("", "sni = [\"acme.example\"]\n")]
    public void An_sni_listener_with_a_fallback_or_a_claimed_name_is_valid(string fallback, string claim)
    {
        var result = ConfigLoader.Parse(SniListener.TrimEnd() + "\n" + fallback + $"""

            [[tenant]]
            name = "acme"
            {claim}
            [[tenant.backend]]
            address = "10.0.0.1:443"
            """, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
    }
}
