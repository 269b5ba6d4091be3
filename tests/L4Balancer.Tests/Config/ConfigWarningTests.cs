using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary>What <c>check</c> warns about (issue 17): valid, but most likely not what was meant.</summary>
public sealed class ConfigWarningTests
{
    private static ConfigLoadResult Parse(string toml) =>
        ConfigLoader.Parse(toml, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns, _ => null);

    private static List<string> Warnings(ConfigLoadResult result) => result.Warnings.Select(w => w.ToString()).ToList();

    [Fact]
    public void A_tenant_no_listener_can_reach_is_a_warning_on_its_name()
    {
        var result = Parse("""
            [[listener]]
            name = "main"
            bind = "127.0.0.1:0"
            tenant = "acme"

            [[tenant]]
            name = "acme"
            backend = [{ address = "127.0.0.1:9" }]

            [[tenant]]
            name = "orphan"
            backend = [{ address = "127.0.0.1:9" }]

            [[tenant]]
            name = "named-but-no-sni-listener"
            sni = ["x.example"]
            backend = [{ address = "127.0.0.1:9" }]
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(
            [
                "test.toml:11: tenant \"orphan\" is reachable by no listener: no listener names it as its tenant (or sni fallback), and it claims no server names (sni = [...])",
                "test.toml:15: tenant \"named-but-no-sni-listener\" is reachable by no listener: it claims server names but no listener routes by sni, and no listener names it as its tenant",
            ],
            Warnings(result));
    }

    [Fact]
    public void Tenants_reached_by_port_fallback_or_server_name_give_no_warning()
    {
        var result = Parse("""
            [[listener]]
            name = "port"
            bind = "127.0.0.1:0"
            tenant = "by-port"

            [[listener]]
            name = "tls"
            bind = "127.0.0.1:0"
            route = "sni"
            tenant = "fallback"

            [[tenant]]
            name = "by-port"
            backend = [{ address = "127.0.0.1:9" }]

            [[tenant]]
            name = "fallback"
            backend = [{ address = "127.0.0.1:9" }]

            [[tenant]]
            name = "by-name"
            sni = ["x.example"]
            backend = [{ address = "127.0.0.1:9" }]
            """);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void A_listener_whose_fallback_tenant_has_no_backend_is_a_warning_next_to_the_tenants_error()
    {
        var result = Parse("""
            [[listener]]
            name = "tls"
            bind = "127.0.0.1:0"
            route = "sni"
            tenant = "fallback"

            [[tenant]]
            name = "fallback"
            backend = []

            [[tenant]]
            name = "named"
            sni = ["x.example"]
            backend = [{ address = "127.0.0.1:9" }]
            """);

        // A tenant without backends is an error since issue 11 (a reload must not empty a tenant by
        // accident); the warning says what it means for the listener that falls back to it.
        Assert.Equal("test.toml:7: tenant \"fallback\": no backends (add at least one [[tenant.backend]])", Assert.Single(result.Errors).ToString());
        Assert.Equal(
            ["test.toml:5: listener \"tls\": its fallback tenant \"fallback\" has no backend, so a ClientHello without a server name a tenant claims is closed (no_backend)"],
            Warnings(result));
    }
}
