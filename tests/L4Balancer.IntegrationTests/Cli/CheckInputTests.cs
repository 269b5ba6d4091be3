using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Files;

namespace L4Balancer.IntegrationTests.Cli;

/// <summary>
/// <c>check</c> on the real executable with the inputs of issue 11: each is a config error (exit 2,
/// <c>FILE[:LINE]: message</c>) within seconds, never a crash (exit 134), a hang or unbounded memory.
/// </summary>
public sealed class CheckInputTests : IDisposable
{
    /// <summary>Generous for a 2-core machine starting dotnet; a hang or a read of /dev/zero takes far longer.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private const string Listener = """
        [[listener]]
        name = "main"
        bind = "127.0.0.1:0"
        tenant = "acme"

        [[tenant]]
        name = "acme"

        [[tenant.backend]]
        address = "127.0.0.1:9"

        """;

    /// <summary>The line after <see cref="Listener"/>.</summary>
    private static readonly int NextLine = Listener.Count(c => c == '\n') + 1;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-check-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string name, string toml)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, toml);
        return path;
    }

    private static async Task<string> CheckFailsAsync(string path)
    {
        var (code, output, errors) = await BalancerProcess.RunWithinAsync(Deadline, "check", "--config", path);

        Assert.True(code == 2, $"exit {code}\n{output}\n{errors}");
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
        return errors;
    }

    [Fact]
    public async Task Arrays_nested_64_deep()
    {
        var path = Write("deep.toml", Listener + "x = " + new string('[', 64) + new string(']', 64) + "\n");

        var errors = await CheckFailsAsync(path);

        Assert.Matches($@"^{Regex.Escape(path)}:{NextLine}: .*nested", errors);
    }

    [Fact]
    public async Task Inline_tables_nested_64_deep()
    {
        var nested = string.Concat(Enumerable.Repeat("{ a = ", 64)) + "1" + string.Concat(Enumerable.Repeat(" }", 64));
        var path = Write("deep.toml", Listener + "x = " + nested + "\n");

        var errors = await CheckFailsAsync(path);

        Assert.Matches($@"^{Regex.Escape(path)}:{NextLine}: .*nested", errors);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public async Task A_device_as_the_config_file(string device)
    {
        var errors = await CheckFailsAsync(device);

        Assert.Equal($"{device}: cannot read the config file: not a regular file (character device)", errors);
    }

    [MkfifoFact]
    public async Task A_fifo_as_the_config_file()
    {
        var path = Path.Combine(_directory.FullName, "balancer.toml");
        Fifo.Create(path);

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}: cannot read the config file: not a regular file (FIFO)", errors);
    }

    [Fact]
    public async Task A_directory_as_the_config_file()
    {
        var errors = await CheckFailsAsync(_directory.FullName);

        Assert.Equal($"{_directory.FullName}: cannot read the config file: not a regular file (directory)", errors);
    }

    [Fact]
    public async Task A_config_file_larger_than_16_MiB()
    {
        var path = Path.Combine(_directory.FullName, "huge.toml");
        using (var file = File.Create(path))
        {
            file.SetLength(16 * 1024 * 1024 + 1);
        }

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}: cannot read the config file: larger than 16 MiB (16777216 bytes)", errors);
    }

    private string WithTokenFile(string tokenPath) => Write("balancer.toml", $"""
        [admin]
        listen = "127.0.0.1:9900"
        token = "file:{tokenPath}"

        """ + Listener);

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public async Task A_device_as_the_token_file(string device)
    {
        var path = WithTokenFile(device);

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}:3: admin: token: cannot read file \"{device}\": not a regular file (character device)", errors);
    }

    [MkfifoFact]
    public async Task A_fifo_as_the_token_file()
    {
        var fifo = Path.Combine(_directory.FullName, "token");
        Fifo.Create(fifo);
        var path = WithTokenFile(fifo);

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}:3: admin: token: cannot read file \"{fifo}\": not a regular file (FIFO)", errors);
    }

    [Fact]
    public async Task A_directory_as_the_token_file()
    {
        var path = WithTokenFile(_directory.FullName);

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}:3: admin: token: cannot read file \"{_directory.FullName}\": not a regular file (directory)", errors);
    }

    [Fact]
    public async Task A_token_file_larger_than_4096_bytes()
    {
        var token = Write("token", new string('t', 5000));
        var path = WithTokenFile(token);

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}:3: admin: token: cannot read file \"{token}\": larger than 4096 bytes", errors);
    }

    [Theory]
    [InlineData("")]
    [InlineData("[global]\n")]
    [InlineData("  \n# nothing but a comment\n\n")]
    public async Task A_config_without_listeners(string toml)
    {
        var path = Write("balancer.toml", toml);

        var errors = await CheckFailsAsync(path);

        Assert.Equal($"{path}: no [[listener]]: a balancer needs at least one listener", errors);
    }

    [Fact]
    public async Task Run_refuses_to_start_without_listeners()
    {
        var path = Write("balancer.toml", "[global]\n");

        var (code, output, errors) = await BalancerProcess.RunWithinAsync(Deadline, "run", "--config", path);

        Assert.True(code == 2, $"exit {code}\n{output}\n{errors}");
        Assert.Equal($"{path}: no [[listener]]: a balancer needs at least one listener", errors);
    }
}
