using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary>
/// Every class of config error, each pinning the exact line and message. Most are rows of two
/// tables (a snippet that makes one error, a snippet that makes several); the theories take the
/// row's name alone, so each row is its own test case, listed and reported by that name.
/// </summary>
public class ConfigLoaderErrorTests
{
    /// <summary>Snippets with exactly one error.</summary>
    private static readonly ConfigErrorCase[] OneError =
    [
        new("Unknown_key_in_global", """
            [global]
            max_conections = 10
            """, (2, "global: unknown key \"max_conections\" (did you mean \"max_connections\"?)")),

        new("Unknown_sub_table_of_a_tenant", """
            [[tenant]]
            name = "acme"
            [tenant.healthz]
            interval = "5s"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (3, "tenant \"acme\": unknown table \"healthz\" (did you mean \"health\"?)")),

        new("A_table_where_an_array_of_tables_belongs", """
            [listener]
            name = "public"
            """, (1, "listener must be an array of tables ([[listener]]), not a table")),

        new("A_table_for_an_array_of_tables_inside_a_tenant", """
            [[tenant]]
            name = "acme"
            [tenant.backend]
            address = "10.1.0.11:443"
            """, (3, "tenant \"acme\": backend must be an array of tables ([[tenant.backend]]), not a table")),

        new("Zero_timeouts_are_refused_but_a_zero_drain_is_not", """
            [global]
            connect_timeout = "0s"
            drain_timeout = "0s"
            """, (2, "global: connect_timeout must be > 0 (got \"0s\")")),

        new("Bad_cidr_in_a_tenant", """
            [[tenant]]
            name = "acme"
            allow = [
              "10.0.0.0/8",
              "10.0.0.0/33",
            ]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (5, "tenant \"acme\": \"10.0.0.0/33\" is not a CIDR prefix")),

        new("Bad_cidr_in_global_deny", """
            [global]
            deny = ["banana"]
            """, (2, "global deny: \"banana\" is not a CIDR prefix")),

        new("Cidr_with_host_bits_set", """
            [[tenant]]
            name = "acme"
            deny = ["10.0.0.1/8"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (3, "tenant \"acme\": \"10.0.0.1/8\" has host bits set (did you mean \"10.0.0.0/8\"?)")),

        new("Same_prefix_in_allow_and_deny", """
            [[tenant]]
            name = "acme"
            allow = ["10.0.0.0/8"]
            deny = ["10.0.0.0/8"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (4, "tenant \"acme\": \"10.0.0.0/8\" is in both allow and deny")),

        new("Access_log_must_be_a_boolean", """
            [global]
            access_log = "off"
            """, (2, "global: access_log must be true or false, not a string")),

        new("Log_level_is_one_of_the_names", """
            [global]
            log_level = "verbose"
            """, (2, "global: log_level must be \"trace\", \"debug\", \"info\", \"information\", \"warning\", \"warn\", \"error\", \"critical\" or \"none\" (got \"verbose\")")),

        new("Numbers_beyond_int_range", """
            [global]
            max_connections = 3000000000
            """, (2, "global: max_connections must be <= 2147483647 (got 3000000000)")),

        new("Zero_burst_with_a_rate", """
            [[tenant]]
            name = "acme"
            connection_rate = 10
            connection_burst = 0
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (4, "tenant \"acme\": connection_burst must be > 0 when connection_rate is set (a bucket of 0 admits nothing)")),

        new("Duplicate_listener_names", """
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
            """, (6, "listener \"public\" is already defined on line 1")),

        new("Duplicate_tenant_names", """
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """, (6, "tenant \"acme\" is already defined on line 1")),

        new("Listener_naming_a_missing_tenant", """
            [[listener]]
            name = "public"
            bind = "0.0.0.0:8443"
            route = "sni"
            tenant = "nope"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (5, "listener \"public\": tenant \"nope\" is not defined")),

        new("Port_route_listener_without_a_tenant", """
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "10.1.0.11:443"

            [[listener]]
            name = "plain"
            bind = "0.0.0.0:8080"
            """, (6, "listener \"plain\": route \"port\" needs a tenant")),

        new("Two_tenants_claim_one_sni_name_on_an_sni_listener", """
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
            """, (14, "tenant \"beta\": sni \"LLM.acme.example.\" is already claimed by tenant \"acme\"")),

        new("Sni_name_listed_twice_in_one_tenant", """
            [[tenant]]
            name = "acme"
            sni = ["a.example", "A.example"]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (3, "tenant \"acme\": sni \"A.example\" is listed twice")),

        new("Names_are_kept_to_safe_characters", """
            [[tenant]]
            name = "acme/prod"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, (2, "tenant \"acme/prod\": name may contain only letters, digits, \".\", \"_\" and \"-\"")),

        new("Toml_key_defined_twice_is_reported_with_both_lines", """
            [global]
            max_connections = 10
            max_connections = 20
            """, (3, "key \"global.max_connections\" is already defined on line 2")),
    ];

    /// <summary>Snippets with several errors, all reported, in line order.</summary>
    private static readonly ConfigErrorCase[] SeveralErrors =
    [
        new("Unknown_keys_in_every_table", """
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
            """,
            (4, "admin: unknown key \"port\""),
            (9, "listener \"public\": unknown key \"rout\" (did you mean \"route\"?)"),
            (12, "tenant \"acme\": unknown key \"max_conections\" (did you mean \"max_connections\"?)"),
            (14, "tenant \"acme\" health: unknown key \"intervall\" (did you mean \"interval\"?)"),
            (17, "tenant \"acme\" backend \"10.1.0.11:443\": unknown key \"wieght\" (did you mean \"weight\"?)")),

        new("Unknown_top_level_tables_and_keys", """
            debug = true
            [globl]
            max_connections = 10
            [[tenants]]
            name = "acme"
            """,
            (1, "unknown key \"debug\""),
            (2, "unknown table \"globl\" (did you mean \"global\"?)"),
            (4, "unknown table \"tenants\" (did you mean \"tenant\"?)")),

        new("Wrong_value_types", """
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
            """,
            (2, "global: max_connections must be an integer, not a string"),
            (3, "global: deny must be an array of strings, not a string"),
            (7, "listener \"public\": route must be a string, not an integer"),
            (11, "tenant \"acme\": sni must contain only strings, not an integer"),
            (12, "tenant \"acme\": health must be a table ([tenant.health]), not an integer"),
            (15, "tenant \"acme\" backend \"10.1.0.11:443\": weight must be an integer, not a float")),

        new("Bad_durations", """
            [global]
            connect_timeout = 5
            idle_timeout = "30"
            client_hello_timeout = "5 sec"
            drain_timeout = "-1s"
            """,
            (2, "global: connect_timeout must be a string with a unit, e.g. \"5s\" (got 5)"),
            (3, "global: idle_timeout: \"30\" has no unit (ms, s, m or h), e.g. \"30s\""),
            (4, "global: client_hello_timeout: \"5 sec\" has an unknown unit \" sec\" (use ms, s, m or h)"),
            (5, "global: drain_timeout: \"-1s\" is negative")),

        new("Bad_sizes", """
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
            """,
            (3, "tenant \"acme\": bandwidth: \"100mb/s\" has an unknown unit \"mb\" (use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)"),
            (8, "tenant \"beta\": bandwidth must be >= 0 (got -1)")),

        new("Negative_and_zero_numbers_where_not_allowed", """
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
            """,
            (2, "global: max_connections must be >= 0 (got -1)"),
            (3, "global: backlog must be >= 1 (got 0)"),
            (6, "tenant \"acme\": retries must be >= 0 (got -1)"),
            (7, "tenant \"acme\": connection_rate must be >= 0 (got -5)"),
            (10, "tenant \"acme\" backend \"10.1.0.11:443\": weight must be >= 1 (got 0)"),
            (11, "tenant \"acme\" backend \"10.1.0.11:443\": max_connections must be >= 0 (got -2)")),

        new("Negative_pending_handshake_bounds", """
            [global]
            max_pending_handshakes = -1
            max_pending_handshakes_per_ip = -3
            """,
            (2, "global: max_pending_handshakes must be >= 0 (got -1)"),
            (3, "global: max_pending_handshakes_per_ip must be >= 0 (got -3)")),

        new("Bad_enum_values", """
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
            """,
            (4, "listener \"public\": route must be \"sni\" or \"port\" (got \"SNI\")"),
            (7, "tenant \"acme\": proxy_protocol must be \"off\", \"v1\" or \"v2\" (got \"v3\")"),
            (8, "tenant \"acme\": balance must be \"least_connections\", \"round_robin\", \"power_of_two\", \"maglev\" or \"least_load\" (got \"random\")")),

        new("Duplicate_backend_addresses_within_a_tenant", """
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
            """,
            (6, "tenant \"acme\": backend \"[2001:DB8:0::1]:443\" is listed twice (first on line 4)"),
            (10, "tenant \"acme\": backend \"API.internal:443\" is listed twice (first on line 8)")),

        new("Duplicate_and_overlapping_listener_binds", """
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
            """,
            (7, "listener \"b\": bind \"0.0.0.0:8443\" is already used by listener \"a\""),
            (11, "listener \"c\": bind \"[::]:8443\" overlaps listener \"a\" (\"0.0.0.0:8443\")")),

        new("Bad_bind_addresses", """
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
            """,
            (3, "listener \"a\": bind \"0.0.0.0\" must be IPv4:port or [IPv6]:port"),
            (7, "listener \"b\": bind \"localhost:80\" must be IPv4:port or [IPv6]:port"),
            (11, "listener \"c\": bind \"0.0.0.0:70000\" has an invalid port (0-65535)"),
            (15, "listener \"d\": bind \":::80\" must be IPv4:port or [IPv6]:port")),

        new("Tenant_without_backends", """
            [[tenant]]
            name = "acme"
            [[tenant]]
            name = "beta"
            backend = []
            """,
            (1, "tenant \"acme\": no backends (add at least one [[tenant.backend]])"),
            (3, "tenant \"beta\": no backends (add at least one [[tenant.backend]])")),

        new("Health_limits", """
            [[tenant]]
            name = "acme"
            [tenant.health]
            interval = "0s"
            timeout = "0ms"
            rise = 0
            fall = 0
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """,
            (4, "tenant \"acme\" health: interval must be > 0 (got \"0s\")"),
            (5, "tenant \"acme\" health: timeout must be > 0 (got \"0ms\")"),
            (6, "tenant \"acme\" health: rise must be >= 1 (got 0)"),
            (7, "tenant \"acme\" health: fall must be >= 1 (got 0)")),

        new("Missing_required_keys_reported_on_the_table_header", """
            [admin]

            [[listener]]
            route = "sni"

            [[tenant]]
            sni = ["a.example"]

            [[tenant.backend]]
            weight = 2
            """,
            (1, "admin: listen is required"),
            (1, "admin: token is required: token = \"env:NAME\" (scope operate) or [[admin.token]] entries with token and scope"),
            (3, "listener #1: name is required"),
            (3, "listener #1: bind is required"),
            (6, "tenant #1: name is required"),
            (9, "tenant #1 backend #1: address is required")),

        new("Bad_backend_addresses", """
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
            """,
            (4, "tenant \"acme\": backend address \"10.1.0.11\" must be IP:port, [IPv6]:port or host:port"),
            (6, "tenant \"acme\": backend address \"2001:db8::1:443\": an IPv6 address needs brackets, e.g. \"[2001:db8::1]:443\""),
            (8, "tenant \"acme\": backend address \"10.1.0.11:0\" has an invalid port (1-65535)"),
            (10, "tenant \"acme\": backend address \"10.1.0:443\" must be IP:port, [IPv6]:port or host:port")),
    ];

    public static TheoryData<string> OneErrorNames => [.. OneError.Select(c => c.Name)];

    public static TheoryData<string> SeveralErrorsNames => [.. SeveralErrors.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(OneErrorNames))]
    public void One_error_with_its_line_and_message(string name)
    {
        var row = Find(OneError, name);
        var (line, message) = Assert.Single(row.Errors);
        AssertError(row.Toml, line, message);
    }

    [Theory]
    [MemberData(nameof(SeveralErrorsNames))]
    public void Every_error_with_its_line_and_message(string name)
    {
        var row = Find(SeveralErrors, name);
        ConfigError[] expected = [.. row.Errors.Select(e => new ConfigError(FileName, e.Line, e.Message))];
        Assert.Equal(expected, Errors(row.Toml));
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
    public void Unresolvable_backend_host_is_a_warning_not_an_error()
    {
        var result = ConfigLoader.Parse(WithListener("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "nohost.invalid:443"
            [[tenant]]
            name = "beta"
            [[tenant.backend]]
            address = "nohost.invalid:443"
            """), FileName, FakeDns);

        // Issue 17: one missing DNS record must not stop a start or a reload; the backend starts down instead.
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        // (Both tenants are also unreachable, no listener names them: that warning is not this test's.)
        var warnings = result.Warnings.Where(w => w.Message.Contains("cannot be resolved", StringComparison.Ordinal)).ToList();

        // Looked up once, reported wherever it is used.
        Assert.Equal([4, 8], warnings.Select(e => e.Line));
        Assert.All(warnings, e => Assert.StartsWith("tenant \"", e.Message, StringComparison.Ordinal));
        Assert.All(warnings, e => Assert.Contains("backend address \"nohost.invalid:443\" cannot be resolved (", e.Message, StringComparison.Ordinal));
        Assert.All(warnings, e => Assert.EndsWith("it starts down (check_status DNS) and is looked up again every 30s and in every health check round", e.Message, StringComparison.Ordinal));
        var backend = Assert.Single(result.Config.FindTenant("acme")!.Backends);
        Assert.Null(backend.EndPoint);
        Assert.Equal("nohost.invalid", backend.Host);
        Assert.Equal(443, backend.Port);
        Assert.NotNull(backend.ResolveError);
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
            "test.toml:8: global: unknown key \"max_conections\" (did you mean \"max_connections\"?)",
            "test.toml:10: tenant \"acme\": no backends (add at least one [[tenant.backend]])",
            "test.toml:12: tenant \"acme\": \"10.0.0.0/33\" is not a CIDR prefix",
        ], errors.Select(e => e.ToString()));
    }

    private static ConfigErrorCase Find(ConfigErrorCase[] table, string name) => table.Single(c => c.Name == name);
}
