using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary>Issue 17: <c>[[admin.token]]</c> entries with a scope, beside the single <c>token</c> key (scope operate).</summary>
public sealed class ConfigLoaderAdminScopeTests : IDisposable
{
    private readonly string _variable = "L4B_TEST_SCOPED_TOKEN_" + Guid.NewGuid().ToString("N");
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-config-");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        _directory.Delete(recursive: true);
    }

    private static string Admin(params (string Token, string? Scope)[] tokens) =>
        "[admin]\nlisten = \"127.0.0.1:9900\"\n" + string.Concat(tokens.Select(t =>
            $"\n[[admin.token]]\ntoken = \"{t.Token}\"\n" + (t.Scope is null ? "" : $"scope = \"{t.Scope}\"\n")));

    [Fact]
    public void The_single_token_key_is_one_operate_token()
    {
        var admin = Load("[admin]\nlisten = \"127.0.0.1:9900\"\ntoken = \"s3cret\"\n").Admin!;

        var token = Assert.Single(admin.Tokens);
        Assert.Equal(new AdminToken("s3cret", AdminScope.Operate), token);
        Assert.Equal("s3cret", admin.Token);
    }

    [Fact]
    public void Scoped_tokens_in_order_with_their_secrets_resolved()
    {
        Environment.SetEnvironmentVariable(_variable, "from-env");
        var path = Path.Combine(_directory.FullName, "operate-token");
        File.WriteAllText(path, "from-file\n");

        var admin = Load(Admin(("literal-read", "read"), ($"env:{_variable}", "read"), ($"file:{path}", "operate"))).Admin!;

        Assert.Equal(
            [new AdminToken("literal-read", AdminScope.Read), new AdminToken("from-env", AdminScope.Read), new AdminToken("from-file", AdminScope.Operate)],
            admin.Tokens);
    }

    [Fact]
    public void Inline_tables_work_too()
    {
        var admin = Load("""
            [admin]
            listen = "127.0.0.1:9900"
            token = [{ token = "r", scope = "read" }, { token = "o", scope = "operate" }]
            """).Admin!;

        Assert.Equal([new AdminToken("r", AdminScope.Read), new AdminToken("o", AdminScope.Operate)], admin.Tokens);
    }

    [Fact]
    public void Only_read_tokens_is_a_read_only_endpoint()
    {
        var admin = Load(Admin(("r", "read"))).Admin!;

        Assert.Equal(AdminScope.Read, Assert.Single(admin.Tokens).Scope);
        Assert.Equal("", admin.Token); // no operate token
    }

    [Fact]
    public void Scope_is_required()
    {
        AssertError(Admin(("r", null)), 4, "admin.token #1: scope is required: \"read\" or \"operate\"");
    }

    [Fact]
    public void Unknown_scope()
    {
        AssertError(Admin(("r", "read"), ("w", "write")), 10, "admin.token #2: scope must be \"read\" or \"operate\" (got \"write\")");
    }

    [Fact]
    public void Token_is_required_in_each_entry()
    {
        AssertError("""
            [admin]
            listen = "127.0.0.1:9900"

            [[admin.token]]
            scope = "read"
            """, 4, "admin.token #1: token is required");
    }

    [Fact]
    public void Unknown_key_in_an_entry()
    {
        AssertError("""
            [admin]
            listen = "127.0.0.1:9900"

            [[admin.token]]
            token = "r"
            scope = "read"
            name = "prometheus"
            """, 7, "admin.token #1: unknown key \"name\"");
    }

    [Fact]
    public void Secret_errors_name_the_entry()
    {
        AssertError(Admin(("r", "read"), ($"env:{_variable}", "operate")), 9, $"admin.token #2: token: environment variable \"{_variable}\" is not set");
    }

    [Fact]
    public void The_same_secret_twice_is_an_error_that_does_not_print_it()
    {
        Environment.SetEnvironmentVariable(_variable, "same");

        var error = Assert.Single(Errors(Admin(("same", "read"), ($"env:{_variable}", "operate"))));

        Assert.Equal(new ConfigError(FileName, 9, "admin.token #2: token is the same secret as admin.token #1 (line 5); give each entry its own"), error);
        Assert.DoesNotContain("\"same\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_token_at_all()
    {
        AssertError("[admin]\nlisten = \"127.0.0.1:9900\"\n", 1,
            "admin: token is required: token = \"env:NAME\" (scope operate) or [[admin.token]] entries with token and scope");
    }

    [Fact]
    public void An_empty_token_array()
    {
        AssertError("[admin]\nlisten = \"127.0.0.1:9900\"\ntoken = []\n", 3,
            "admin: token = [] gives no token: token = \"env:NAME\" (scope operate) or [[admin.token]] entries with token and scope");
    }

    [Fact]
    public void A_token_of_the_wrong_type()
    {
        AssertError("[admin]\nlisten = \"127.0.0.1:9900\"\ntoken = 42\n", 3, "admin: token must be a string or [[admin.token]] tables, not an integer");
    }

    [Fact]
    public void Neither_the_config_nor_a_token_prints_a_secret()
    {
        var admin = Load(Admin(("very-secret-read", "read"), ("very-secret-operate", "operate"))).Admin!;

        Assert.DoesNotContain("very-secret", admin.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("very-secret", admin.Tokens[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_summary_counts_tokens_by_scope()
    {
        var summary = ConfigSummary.Format(Load(Admin(("r1", "read"), ("r2", "read"), ("o", "operate"))));

        Assert.Contains("admin 127.0.0.1:9900 tokens: 1 operate, 2 read", summary, StringComparison.Ordinal);
    }
}
