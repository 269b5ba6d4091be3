using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary>A syntax error is reported once, not with the echoes Tomlyn finds after it (issue 17).</summary>
public sealed class TomlSyntaxErrorTests
{
    private static List<(int? Line, string Message)> Errors(string toml)
    {
        var result = ConfigLoader.Parse(toml, ConfigTestHelper.FileName, ConfigTestHelper.FakeDns, _ => null);
        Assert.False(result.IsValid);
        return result.Errors.Select(e => (e.Line, e.Message)).ToList();
    }

    private const string Rest = """

        [[tenant.backend]]
        address = "127.0.0.1:9"

        [[listener]]
        name = "main"
        bind = "127.0.0.1:0"
        tenant = "acme"
        """;

    /// <param name="line">Where the parser notices: an unclosed array only at the next line's key.</param>
    [Theory]
    [InlineData("[[tenant]\nname = \"acme\"\n", 1)]
    [InlineData("[[tenant\nname = \"acme\"\n", 1)]
    [InlineData("[tenant\nname = \"acme\"\n", 1)]
    [InlineData("[[tenant]]\nname = \"acme\nretries = 3\n", 2)]
    [InlineData("[[tenant]]\nallow = [\"10.0.0.0/8\"\nname = \"acme\"\n", 3)]
    public void A_missing_bracket_or_quote_is_one_error(string head, int line)
    {
        var errors = Errors(head + Rest);

        Assert.Equal(line, Assert.Single(errors).Line);
    }

    [Fact]
    public void Independent_syntax_errors_in_different_tables_are_all_reported()
    {
        var errors = Errors("""
            [global]
            max_connections = 1 2

            [[listener]]
            name = "main"
            bind = "127.0.0.1:0"
            tenant = = "acme"
            """);

        Assert.Equal([2, 7], errors.Select(e => e.Line));
    }
}
