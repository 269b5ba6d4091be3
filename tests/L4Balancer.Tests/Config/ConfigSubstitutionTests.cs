using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary><c>${NAME}</c> in string values (issue 17), with a fake environment.</summary>
public sealed class ConfigSubstitutionTests
{
    private static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["BIND"] = "127.0.0.1:0",
        ["BACKEND_HOST"] = "10.1.0.11",
        ["PORT"] = "443",
        ["EMPTY"] = "",
        ["KEY"] = "max_connections",
        ["NUMBER"] = "5",
    };

    private static ConfigLoadResult Parse(string toml) =>
        ConfigLoader.Parse(ConfigTestHelper.WithListener(toml), ConfigTestHelper.FileName, ConfigTestHelper.FakeDns, Environment.GetValueOrDefault);

    private static BalancerConfig Load(string toml)
    {
        var result = Parse(toml);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config;
    }

    private static List<string> Errors(string toml)
    {
        var result = Parse(toml);
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void Variables_are_substituted_in_strings_and_in_the_strings_of_arrays_and_inline_tables()
    {
        var config = Load("""
            [[listener]]
            name = "main"
            bind = "${BIND}"
            tenant = "acme"

            [[tenant]]
            name = "acme${EMPTY}"
            sni = ["${EMPTY}api.example", "x.example"]
            backend = [{ address = "${BACKEND_HOST}:${PORT}" }]
            """);

        Assert.Equal("127.0.0.1:0", config.Listeners[0].Bind.ToString());
        var tenant = Assert.Single(config.Tenants);
        Assert.Equal("acme", tenant.Name);
        Assert.Equal(["api.example", "x.example"], tenant.Sni);
        Assert.Equal("10.1.0.11:443", tenant.Backends[0].Address);
    }

    [Fact]
    public void Double_dollar_brace_is_a_literal_and_a_lone_dollar_is_itself()
    {
        var config = Load("""
            [admin]
            listen = "127.0.0.1:0"
            token = "pa$$word-$${BIND}-$5-${PORT}$"
            """);

        Assert.Equal("pa$$word-${BIND}-$5-443$", Assert.IsType<AdminConfig>(config.Admin).Token);
    }

    [Fact]
    public void Keys_are_not_substituted()
    {
        // A quoted key that looks like a variable stays that key, which is unknown.
        var errors = Errors("""
            [global]
            "${KEY}" = 5
            """);

        Assert.Equal("test.toml:2: global: unknown key \"${KEY}\"", Assert.Single(errors));
    }

    [Fact]
    public void Numbers_are_not_substituted_a_string_is_still_a_string()
    {
        var errors = Errors("""
            [global]
            max_connections = "${NUMBER}"
            """);

        Assert.Equal("test.toml:2: global: max_connections must be an integer, not a string", Assert.Single(errors));
    }

    [Fact]
    public void An_unset_variable_is_an_error_naming_it_on_its_line_and_nothing_else_is_reported()
    {
        var errors = Errors("""
            [[listener]]
            name = "main"
            bind = "${NOT_SET}"
            tenant = "acme"

            [[tenant]]
            name = "acme"
            sni = ["a.example",
                   "${ALSO_NOT_SET}.example"]

            [[tenant.backend]]
            address = "127.0.0.1:9"
            weight = 0
            """);

        // weight = 0 would be an error too; with values missing, the schema is not checked (it would
        // report "${NOT_SET}" as a bad address).
        Assert.Equal(
            [
                "test.toml:3: bind: environment variable \"NOT_SET\" is not set",
                "test.toml:9: sni: environment variable \"ALSO_NOT_SET\" is not set",
            ],
            errors);
    }

    [Theory]
    [InlineData("${", "\"${\" is not closed by \"}\" (write $${ for a literal \"${\")")]
    [InlineData("a${PORT", "\"${\" is not closed by \"}\" (write $${ for a literal \"${\")")]
    [InlineData("${}", "\"${}\" is not an environment variable name (letters, digits and \"_\", not starting with a digit; write $${ for a literal \"${\")")]
    [InlineData("${1X}", "\"${1X}\" is not an environment variable name (letters, digits and \"_\", not starting with a digit; write $${ for a literal \"${\")")]
    [InlineData("${A-B}", "\"${A-B}\" is not an environment variable name (letters, digits and \"_\", not starting with a digit; write $${ for a literal \"${\")")]
    public void Malformed_references_are_errors(string value, string message)
    {
        var errors = Errors($"""
            [admin]
            listen = "127.0.0.1:0"
            token = "{value}"
            """);

        Assert.Equal($"test.toml:3: token: {message}", Assert.Single(errors));
    }

    [Fact]
    public void The_real_environment_is_used_by_default()
    {
        var name = $"L4B_TEST_{Guid.NewGuid():N}";
        System.Environment.SetEnvironmentVariable(name, "from-the-environment");
        try
        {
            var result = ConfigLoader.Parse(ConfigTestHelper.WithListener($"[admin]\nlisten = \"127.0.0.1:0\"\ntoken = \"${{{name}}}\"\n"), "test.toml", ConfigTestHelper.FakeDns);

            Assert.True(result.IsValid, string.Join("\n", result.Errors));
            Assert.Equal("from-the-environment", result.Config.Admin!.Token);
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(name, null);
        }
    }
}
