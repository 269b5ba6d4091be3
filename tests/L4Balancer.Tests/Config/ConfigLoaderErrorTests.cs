using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary>One test per class of config error, each pinning the exact line and message.</summary>
public class ConfigLoaderErrorTests
{
    [Fact]
    public void Unknown_key_in_global()
    {
        AssertError("""
            [global]
            max_conections = 10
            """, 2, "global: unknown key \"max_conections\"");
    }

    [Fact]
    public void Unknown_keys_in_every_table()
    {
        var errors = Errors("""
            [admin]
            listen = "127.0.0.1:9900"
            token = "t"
            port = 1
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            tenant = "acme"
            rout = "sni"
            [[tenant]]
            name = "acme"
            max_conections = 10
            [tenant.health]
            intervall = "5s"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            wieght = 2
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 4, "admin: unknown key \"port\""),
            new ConfigError(FileName, 9, "listener \"public\": unknown key \"rout\""),
            new ConfigError(FileName, 12, "tenant \"acme\": unknown key \"max_conections\""),
            new ConfigError(FileName, 14, "tenant \"acme\" health: unknown key \"intervall\""),
            new ConfigError(FileName, 17, "tenant \"acme\" backend \"10.1.0.11:443\": unknown key \"wieght\""),
        ], errors);
    }

    [Fact]
    public void Unknown_top_level_tables_and_keys()
    {
        var errors = Errors("""
            debug = true
            [globl]
            max_connections = 10
            [[tenants]]
            name = "acme"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 1, "unknown key \"debug\""),
            new ConfigError(FileName, 2, "unknown table \"globl\""),
            new ConfigError(FileName, 4, "unknown table \"tenants\""),
        ], errors);
    }

    [Fact]
    public void Unknown_sub_table_of_a_tenant()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            [tenant.healthz]
            interval = "5s"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 3, "tenant \"acme\": unknown table \"healthz\"");
    }

    [Fact]
    public void Wrong_value_types()
    {
        var errors = Errors("""
            [global]
            max_connections = "1000"
            deny = "10.0.0.0/8"
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            route = 1
            tenant = "acme"
            [[tenant]]
            name = "acme"
            sni = ["a.example", 7]
            health = 5
            [[tenant.backend]]
            address = "10.1.0.11:443"
            weight = 1.5
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 2, "global: max_connections must be an integer, not a string"),
            new ConfigError(FileName, 3, "global: deny must be an array of strings, not a string"),
            new ConfigError(FileName, 7, "listener \"public\": route must be a string, not an integer"),
            new ConfigError(FileName, 11, "tenant \"acme\": sni must contain only strings, not an integer"),
            new ConfigError(FileName, 12, "tenant \"acme\": health must be a table ([tenant.health]), not an integer"),
            new ConfigError(FileName, 15, "tenant \"acme\" backend \"10.1.0.11:443\": weight must be an integer, not a float"),
        ], errors);
    }

    [Fact]
    public void A_table_where_an_array_of_tables_belongs()
    {
        AssertError("""
            [listener]
            name = "public"
            """, 1, "listener must be an array of tables ([[listener]]), not a table");
    }

    [Fact]
    public void A_table_where_an_array_of_tables_belongs_inside_a_tenant()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            [tenant.backend]
            address = "10.1.0.11:443"
            """, 3, "tenant \"acme\": backend must be an array of tables ([[tenant.backend]]), not a table");
    }

    [Fact]
    public void Bad_durations()
    {
        var errors = Errors("""
            [global]
            connect_timeout = 5
            idle_timeout = "30"
            client_hello_timeout = "5 sec"
            drain_timeout = "-1s"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 2, "global: connect_timeout must be a string with a unit, e.g. \"5s\" (got 5)"),
            new ConfigError(FileName, 3, "global: idle_timeout: \"30\" has no unit (ms, s, m or h), e.g. \"30s\""),
            new ConfigError(FileName, 4, "global: client_hello_timeout: \"5 sec\" has an unknown unit \" sec\" (use ms, s, m or h)"),
            new ConfigError(FileName, 5, "global: drain_timeout: \"-1s\" is negative"),
        ], errors);
    }

    [Fact]
    public void Zero_timeouts_are_refused_but_a_zero_drain_is_not()
    {
        var errors = Errors("""
            [global]
            connect_timeout = "0s"
            drain_timeout = "0s"
            """);

        Assert.Equal([new ConfigError(FileName, 2, "global: connect_timeout must be > 0 (got \"0s\")")], errors);
    }

    [Fact]
    public void Bad_sizes()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            bandwidth = "100mb/s"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant]]
            name = "beta"
            bandwidth = -1
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 3, "tenant \"acme\": bandwidth: \"100mb/s\" has an unknown unit \"mb\" (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)"),
            new ConfigError(FileName, 8, "tenant \"beta\": bandwidth must be >= 0 (got -1)"),
        ], errors);
    }

    [Fact]
    public void Bad_cidr_in_a_tenant()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            allow = [
              "10.0.0.0/8",
              "10.0.0.0/33",
            ]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 5, "tenant \"acme\": \"10.0.0.0/33\" is not a CIDR prefix");
    }

    [Fact]
    public void Bad_cidr_in_global_deny()
    {
        AssertError("""
            [global]
            deny = ["banana"]
            """, 2, "global deny: \"banana\" is not a CIDR prefix");
    }

    [Fact]
    public void Cidr_with_host_bits_set()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            deny = ["10.0.0.1/8"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 3, "tenant \"acme\": \"10.0.0.1/8\" has host bits set (did you mean \"10.0.0.0/8\"?)");
    }

    [Fact]
    public void Same_prefix_in_allow_and_deny()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            allow = ["10.0.0.0/8"]
            deny = ["10.0.0.0/8"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 4, "tenant \"acme\": \"10.0.0.0/8\" is in both allow and deny");
    }

    [Fact]
    public void Access_log_must_be_a_boolean()
    {
        var errors = Errors("""
            [global]
            access_log = "off"
            """);

        Assert.Equal([new ConfigError(FileName, 2, "global: access_log must be true or false, not a string")], errors);
    }

    [Fact]
    public void Negative_and_zero_numbers_where_not_allowed()
    {
        var errors = Errors("""
            [global]
            max_connections = -1
            backlog = 0
            [[tenant]]
            name = "acme"
            retries = -1
            connection_rate = -5
            [[tenant.backend]]
            address = "10.1.0.11:443"
            weight = 0
            max_connections = -2
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 2, "global: max_connections must be >= 0 (got -1)"),
            new ConfigError(FileName, 3, "global: backlog must be >= 1 (got 0)"),
            new ConfigError(FileName, 6, "tenant \"acme\": retries must be >= 0 (got -1)"),
            new ConfigError(FileName, 7, "tenant \"acme\": connection_rate must be >= 0 (got -5)"),
            new ConfigError(FileName, 10, "tenant \"acme\" backend \"10.1.0.11:443\": weight must be >= 1 (got 0)"),
            new ConfigError(FileName, 11, "tenant \"acme\" backend \"10.1.0.11:443\": max_connections must be >= 0 (got -2)"),
        ], errors);
    }

    [Fact]
    public void Negative_pending_handshake_bounds()
    {
        var errors = Errors("""
            [global]
            max_pending_handshakes = -1
            max_pending_handshakes_per_ip = -3
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 2, "global: max_pending_handshakes must be >= 0 (got -1)"),
            new ConfigError(FileName, 3, "global: max_pending_handshakes_per_ip must be >= 0 (got -3)"),
        ], errors);
    }

    [Fact]
    public void Numbers_beyond_int_range()
    {
        AssertError("""
            [global]
            max_connections = 3000000000
            """, 2, "global: max_connections must be <= 2147483647 (got 3000000000)");
    }

    [Fact]
    public void Zero_burst_with_a_rate()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            connection_rate = 10
            connection_burst = 0
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 4, "tenant \"acme\": connection_burst must be > 0 when connection_rate is set (a bucket of 0 admits nothing)");
    }

    [Fact]
    public void Bad_enum_values()
    {
        var errors = Errors("""
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            route = "SNI"
            [[tenant]]
            name = "acme"
            proxy_protocol = "v3"
            balance = "random"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 4, "listener \"public\": route must be \"sni\" or \"port\" (got \"SNI\")"),
            new ConfigError(FileName, 7, "tenant \"acme\": proxy_protocol must be \"off\", \"v1\" or \"v2\" (got \"v3\")"),
            new ConfigError(FileName, 8, "tenant \"acme\": balance must be \"least_connections\", \"round_robin\" or \"power_of_two\" (got \"random\")"),
        ], errors);
    }

    [Fact]
    public void Duplicate_listener_names()
    {
        AssertError("""
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            tenant = "acme"
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8444"
            tenant = "acme"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 6, "listener \"public\" is already defined on line 1");
    }

    [Fact]
    public void Duplicate_tenant_names()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """, 6, "tenant \"acme\" is already defined on line 1");
    }

    [Fact]
    public void Duplicate_backend_addresses_within_a_tenant()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "[2001:db8::1]:443"
            [[tenant.backend]]
            address = "[2001:DB8:0::1]:443"
            [[tenant.backend]]
            address = "api.internal:443"
            [[tenant.backend]]
            address = "API.internal:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 6, "tenant \"acme\": backend \"[2001:DB8:0::1]:443\" is listed twice (first on line 4)"),
            new ConfigError(FileName, 10, "tenant \"acme\": backend \"API.internal:443\" is listed twice (first on line 8)"),
        ], errors);
    }

    [Fact]
    public void The_same_backend_in_two_tenants_is_fine()
    {
        Load("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant]]
            name = "beta"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);
    }

    [Fact]
    public void Duplicate_and_overlapping_listener_binds()
    {
        var errors = Errors("""
            [[listener]]
            name = "a"
            bind = "0.0.0.0:8443"
            tenant = "acme"
            [[listener]]
            name = "b"
            bind = "0.0.0.0:8443"
            tenant = "acme"
            [[listener]]
            name = "c"
            bind = "[::]:8443"
            tenant = "acme"
            [[listener]]
            name = "d"
            bind = "127.0.0.1:9000"
            tenant = "acme"
            [[listener]]
            name = "e"
            bind = "127.0.0.2:9000"
            tenant = "acme"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 7, "listener \"b\": bind \"0.0.0.0:8443\" is already used by listener \"a\""),
            new ConfigError(FileName, 11, "listener \"c\": bind \"[::]:8443\" overlaps listener \"a\" (\"0.0.0.0:8443\")"),
        ], errors);
    }

    [Fact]
    public void Bad_bind_addresses()
    {
        var errors = Errors("""
            [[listener]]
            name = "a"
            bind = "0.0.0.0"
            tenant = "acme"
            [[listener]]
            name = "b"
            bind = "localhost:80"
            tenant = "acme"
            [[listener]]
            name = "c"
            bind = "0.0.0.0:70000"
            tenant = "acme"
            [[listener]]
            name = "d"
            bind = ":::80"
            tenant = "acme"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 3, "listener \"a\": bind \"0.0.0.0\" must be IPv4:port or [IPv6]:port"),
            new ConfigError(FileName, 7, "listener \"b\": bind \"localhost:80\" must be IPv4:port or [IPv6]:port"),
            new ConfigError(FileName, 11, "listener \"c\": bind \"0.0.0.0:70000\" has an invalid port (0-65535)"),
            new ConfigError(FileName, 15, "listener \"d\": bind \":::80\" must be IPv4:port or [IPv6]:port"),
        ], errors);
    }

    [Fact]
    public void Listener_naming_a_missing_tenant()
    {
        AssertError("""
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            route = "sni"
            tenant = "nope"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 5, "listener \"public\": tenant \"nope\" is not defined");
    }

    [Fact]
    public void Port_route_listener_without_a_tenant()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"

            [[listener]]
            name = "plain"
            bind = "0.0.0.0:8080"
            """, 6, "listener \"plain\": route \"port\" needs a tenant");
    }

    [Fact]
    public void Sni_route_listener_without_a_fallback_tenant_is_fine()
    {
        var config = Load("""
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            route = "sni"
            [[tenant]]
            name = "acme"
            sni = ["acme.example"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Null(config.Listeners[0].Tenant);
    }

    [Fact]
    public void Tenant_without_backends()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            [[tenant]]
            name = "beta"
            backend = []
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 1, "tenant \"acme\": no backends (add at least one [[tenant.backend]])"),
            new ConfigError(FileName, 3, "tenant \"beta\": no backends (add at least one [[tenant.backend]])"),
        ], errors);
    }

    [Fact]
    public void Two_tenants_claiming_one_sni_name_with_an_sni_listener()
    {
        AssertError("""
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            route = "sni"

            [[tenant]]
            name = "acme"
            sni = ["llm.acme.example"]
            [[tenant.backend]]
            address = "10.1.0.11:443"

            [[tenant]]
            name = "beta"
            sni = ["beta.example", "LLM.acme.example."]
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """, 14, "tenant \"beta\": sni \"LLM.acme.example.\" is already claimed by tenant \"acme\"");
    }

    [Fact]
    public void Sni_name_listed_twice_in_one_tenant()
    {
        AssertError("""
            [[tenant]]
            name = "acme"
            sni = ["a.example", "A.example"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 3, "tenant \"acme\": sni \"A.example\" is listed twice");
    }

    [Theory]
    [InlineData("*")]
    [InlineData("a.*.b")]
    [InlineData("*.")]
    [InlineData("-a.example")]
    [InlineData("a..example")]
    [InlineData("bücher.example")]
    [InlineData("")]
    public void Invalid_sni_names(string name)
    {
        AssertError($"""
            [[tenant]]
            name = "acme"
            sni = ["{name}"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 3, $"tenant \"acme\": sni \"{name}\" is not a valid server name (dot-separated labels of letters, digits and hyphens; a wildcard only as a leading \"*.\")");
    }

    [Fact]
    public void Health_limits()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            [tenant.health]
            interval = "0s"
            timeout = "0ms"
            rise = 0
            fall = 0
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 4, "tenant \"acme\" health: interval must be > 0 (got \"0s\")"),
            new ConfigError(FileName, 5, "tenant \"acme\" health: timeout must be > 0 (got \"0ms\")"),
            new ConfigError(FileName, 6, "tenant \"acme\" health: rise must be >= 1 (got 0)"),
            new ConfigError(FileName, 7, "tenant \"acme\" health: fall must be >= 1 (got 0)"),
        ], errors);
    }

    [Fact]
    public void Missing_required_keys_are_reported_on_the_table_header()
    {
        var errors = Errors("""
            [admin]

            [[listener]]
            route = "sni"

            [[tenant]]
            sni = ["a.example"]

            [[tenant.backend]]
            weight = 2
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 1, "admin: listen is required"),
            new ConfigError(FileName, 1, "admin: token is required"),
            new ConfigError(FileName, 3, "listener #1: name is required"),
            new ConfigError(FileName, 3, "listener #1: bind is required"),
            new ConfigError(FileName, 6, "tenant #1: name is required"),
            new ConfigError(FileName, 9, "tenant #1 backend #1: address is required"),
        ], errors);
    }

    [Fact]
    public void Names_are_kept_to_safe_characters()
    {
        AssertError("""
            [[tenant]]
            name = "acme/prod"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 2, "tenant \"acme/prod\": name may contain only letters, digits, \".\", \"_\" and \"-\"");
    }

    [Fact]
    public void Bad_backend_addresses()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11"
            [[tenant.backend]]
            address = "2001:db8::1:443"
            [[tenant.backend]]
            address = "10.1.0.11:0"
            [[tenant.backend]]
            address = "10.1.0:443"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 4, "tenant \"acme\": backend address \"10.1.0.11\" must be IP:port, [IPv6]:port or host:port"),
            new ConfigError(FileName, 6, "tenant \"acme\": backend address \"2001:db8::1:443\": an IPv6 address needs brackets, e.g. \"[2001:db8::1]:443\""),
            new ConfigError(FileName, 8, "tenant \"acme\": backend address \"10.1.0.11:0\" has an invalid port (1-65535)"),
            new ConfigError(FileName, 10, "tenant \"acme\": backend address \"10.1.0:443\" must be IP:port, [IPv6]:port or host:port"),
        ], errors);
    }

    [Fact]
    public void Unresolvable_backend_host()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "nohost.invalid:443"
            [[tenant]]
            name = "beta"
            [[tenant.backend]]
            address = "nohost.invalid:443"
            """);

        // Looked up once, reported wherever it is used.
        Assert.Equal([4, 8], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.StartsWith("tenant \"", e.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains("backend address \"nohost.invalid:443\" cannot be resolved (", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Toml_syntax_error_is_reported_with_its_line()
    {
        var errors = Errors("""
            [global]
            max_connections = 10

            [[tenant]]
            name = "acme
            """);

        Assert.NotEmpty(errors);
        Assert.Equal(5, errors[0].Line);
        Assert.All(errors, e => Assert.Equal(FileName, e.File));
    }

    [Fact]
    public void Toml_key_defined_twice_is_reported_with_both_lines()
    {
        AssertError("""
            [global]
            max_connections = 10
            max_connections = 20
            """, 3, "key \"global.max_connections\" is already defined on line 2");
    }

    [Fact]
    public void All_errors_are_reported_together_in_line_order()
    {
        var errors = Errors("""
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            tenant = "nope"

            [global]
            connect_timeout = "5"
            max_conections = 1

            [[tenant]]
            name = "acme"
            allow = ["10.0.0.0/33"]
            """);

        Assert.Equal(
        [
            "test.toml:4: listener \"public\": tenant \"nope\" is not defined",
            "test.toml:7: global: connect_timeout: \"5\" has no unit (ms, s, m or h), e.g. \"5s\"",
            "test.toml:8: global: unknown key \"max_conections\"",
            "test.toml:10: tenant \"acme\": no backends (add at least one [[tenant.backend]])",
            "test.toml:12: tenant \"acme\": \"10.0.0.0/33\" is not a CIDR prefix",
        ], errors.Select(e => e.ToString()));
    }
}
