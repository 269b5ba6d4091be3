using L4Balancer.Hosting;

namespace L4Balancer.IntegrationTests.Cli;

/// <summary>
/// The parser against its own table (<see cref="CommandLine.Commands"/>, <see cref="CommandLine.Options"/>),
/// which is what --help prints: every listed command and option must parse, so the help cannot list
/// something the balancer refuses.
/// </summary>
public class CommandLineParseTests
{
    public static TheoryData<string> CommandNames() => [.. CommandLine.Commands.Select(c => c.Name)];

    public static TheoryData<string> OptionForms() =>
        [.. CommandLine.Options.SelectMany(o => o.Short is null ? [o.Name] : new[] { o.Name, o.Short })];

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void Every_listed_command_parses(string name)
    {
        // run and check need a config; demo refuses one.
        string[] args = name is "run" or "check" ? [name, "--config", "b.toml"] : [name];

        var parsed = CommandLine.Parse(args);

        Assert.Null(parsed.Error);
        Assert.Equal(name, parsed.Command);
    }

    [Theory]
    [MemberData(nameof(OptionForms))]
    public void Every_listed_option_parses(string form)
    {
        var option = CommandLine.Options.Single(o => o.Matches(form));
        string[] args = option.Value switch
        {
            null => [form],
            "FILE" => [form, "b.toml"],
            _ => ["demo", form, option.Value.Split('|')[^1]], // an enumerated value: its last choice
        };

        var parsed = CommandLine.Parse(args);

        Assert.Null(parsed.Error);
    }

    [Fact]
    public void Options_do_what_they_say()
    {
        Assert.Equal(new CommandLine("version", null, LogFormat.Console, null), CommandLine.Parse(["--version"]));
        Assert.Equal(new CommandLine("help", null, LogFormat.Console, null), CommandLine.Parse(["check", "-h"]));
        Assert.Equal(new CommandLine("run", "b.toml", LogFormat.Json, null), CommandLine.Parse(["-c", "b.toml", "--log-format", "json"]));
        Assert.Equal(new CommandLine("check", "b.toml", LogFormat.Console, null), CommandLine.Parse(["check", "--config", "b.toml"]));
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("--frobnicate")]
    [InlineData("run")]
    [InlineData("demo", "--config", "b.toml")]
    [InlineData("--log-format", "xml", "demo")]
    [InlineData("run", "check", "--config", "b.toml")]
    public void Refuses_what_the_table_does_not_allow(params string[] args)
    {
        var parsed = CommandLine.Parse(args);

        Assert.Equal("error", parsed.Command);
        Assert.NotNull(parsed.Error);
    }
}
