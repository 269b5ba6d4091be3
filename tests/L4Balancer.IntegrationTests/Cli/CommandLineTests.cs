using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cli;

public class CommandLineTests
{
    [Fact]
    public async Task Version_prints_and_exits_zero()
    {
        var (code, output, _) = await BalancerProcess.RunAsync("--version");

        Assert.Equal(0, code);
        Assert.Matches(@"^l4balancer \d+\.\d+\.\d+", output);
    }

    /// <summary>
    /// The commit is the build's, not a constant: it must be the one the SDK stamped into this very test
    /// assembly (built from the same checkout in the same build), and, in a git checkout, a commit of it.
    /// </summary>
    [Fact]
    public async Task Version_names_the_commit_it_was_built_from_and_the_runtime()
    {
        var (code, output, errors) = await BalancerProcess.RunAsync("--version");

        Assert.True(code == 0, errors);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var match = Regex.Match(line, @"^l4balancer (?<version>\d+\.\d+\.\d+\S*) \(commit (?<commit>[0-9a-f]{40}|unknown), (?<runtime>\.NET \d+\.\d+\.\d+\S*), (?<rid>[a-z0-9-]+)(?<aot>, Native AOT)?\)$");
        Assert.True(match.Success, $"unexpected --version line: {line}");

        var commit = match.Groups["commit"].Value;
        if (BalancerProcess.Binary is null)
        {
            var built = typeof(CommandLineTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+', 2);
            Assert.Equal(built.Length == 2 && built[1].Length > 0 ? built[1] : "unknown", commit);
            Assert.Equal(RuntimeInformation.FrameworkDescription, match.Groups["runtime"].Value);
            Assert.False(match.Groups["aot"].Success);
        }

        if (ExternalTool.Find("git") is { } git && Path.Exists(Path.Combine(RepoPaths.Root, ".git")))
        {
            Assert.NotEqual("unknown", commit);
            var (found, _, gitErrors) = await ExternalTool.RunAsync(git, ["-C", RepoPaths.Root, "cat-file", "-e", commit + "^{commit}"]);
            Assert.True(found == 0, $"{commit} is not a commit of {RepoPaths.Root}: {gitErrors}");
        }
    }

    /// <summary>--help lists every command and option the parser accepts, read from the parser's own table.</summary>
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public async Task Help_lists_every_command_and_option(string argument)
    {
        var (code, output, errors) = await BalancerProcess.RunAsync(argument);

        Assert.True(code == 0, errors);
        Assert.StartsWith("usage: l4balancer", output);
        Assert.NotEmpty(CommandLine.Commands);
        Assert.NotEmpty(CommandLine.Options);
        foreach (var command in CommandLine.Commands)
        {
            Assert.Matches($@"(?m)^  l4balancer {Regex.Escape(command.Synopsis)} +{Regex.Escape(command.Description)}$", output);
        }

        foreach (var option in CommandLine.Options)
        {
            var forms = option.Short is null ? Regex.Escape(option.Name) : $"{Regex.Escape(option.Short)}, {Regex.Escape(option.Name)}";
            Assert.Matches($@"(?m)^  \s*{forms}{(option.Value is null ? "" : " " + Regex.Escape(option.Value))} +{Regex.Escape(option.Description)}$", output);
        }

        // And nothing else: every word that looks like an option in the help is one the parser knows.
        foreach (Match word in Regex.Matches(output, @"(?<![\w-])--?[a-zA-Z][\w-]*"))
        {
            Assert.Contains(CommandLine.Options, o => o.Matches(word.Value));
        }
    }

    [Fact]
    public async Task Check_accepts_the_shipped_example()
    {
        var (code, output, errors) = await BalancerProcess.RunAsync("check", "--config", RepoPaths.ExampleConfig);

        Assert.True(code == 0, errors);
        Assert.Contains("listener", output);
        Assert.Contains("tenant", output);
    }

    [Fact]
    public async Task Check_names_the_line_of_a_bad_cidr_and_exits_two()
    {
        var path = Path.Combine(Path.GetTempPath(), $"l4b-bad-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(path, """
            [[listener]]
            name = "main"
            bind = "127.0.0.1:0"
            tenant = "acme"

            [[tenant]]
            name = "acme"
            allow = ["10.0.0.0/8", "10.0.0.0/33"]

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);
        try
        {
            var (code, _, errors) = await BalancerProcess.RunAsync("check", "--config", path);

            Assert.Equal(2, code);
            Assert.Contains($"{path}:8: tenant \"acme\": \"10.0.0.0/33\" is not a CIDR prefix", errors);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Run_with_invalid_config_exits_two_without_binding()
    {
        var path = Path.Combine(Path.GetTempPath(), $"l4b-bad-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(path, "[global]\nmax_conections = 5\n");
        try
        {
            var (code, _, errors) = await BalancerProcess.RunAsync("run", "--config", path);

            Assert.Equal(2, code);
            Assert.Contains($"{path}:2:", errors);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Unknown_argument_is_a_usage_error()
    {
        var (code, _, errors) = await BalancerProcess.RunAsync("frobnicate");

        Assert.Equal(2, code);
        Assert.Contains("usage:", errors);
    }
}
