using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary>
/// Tomlyn throws (rather than reporting a diagnostic) when arrays or inline tables nest deeper than its
/// limit of 64; <c>check</c> used to die of it with exit 134 (issue 11).
/// </summary>
public class ConfigLoaderNestingTests
{
    private const string Preamble = "# line 1\n[global]\n";

    [Fact]
    public void Arrays_nested_64_deep_are_an_error_on_their_line()
    {
        var error = Assert.Single(Errors(Preamble + "x = " + new string('[', 64) + new string(']', 64) + "\n"));

        Assert.Equal(3, error.Line);
        Assert.Contains("nested", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inline_tables_nested_64_deep_are_an_error_on_their_line()
    {
        var nested = string.Concat(Enumerable.Repeat("{ a = ", 64)) + "1" + string.Concat(Enumerable.Repeat(" }", 64));

        var error = Assert.Single(Errors(Preamble + "x = " + nested + "\n"));

        Assert.Equal(3, error.Line);
        Assert.Contains("nested", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arrays_nested_far_deeper_are_one_error_too()
    {
        var error = Assert.Single(Errors(Preamble + "x = " + new string('[', 100_000) + new string(']', 100_000) + "\n"));

        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void The_line_is_found_past_brackets_in_strings_and_comments()
    {
        var deep = new string('[', 70);
        var toml = string.Join('\n',
            $"a = \"{deep}\" # {deep}",
            $"b = '{deep}'",
            "c = \"\"\"",
            $"{deep} \\\" \"\"\"",
            "d = '''",
            $"{deep}'''",
            "x = [",
            $"  {new string('[', 63)}{new string(']', 63)},",
            "]");

        var error = Assert.Single(Errors(toml));

        Assert.Equal(8, error.Line);
        Assert.Equal("arrays and inline tables are nested more than 63 deep", error.Message);
    }
}
