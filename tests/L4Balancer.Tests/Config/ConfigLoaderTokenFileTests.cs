using L4Balancer.Core.Config;
using L4Balancer.TestSupport.Files;

namespace L4Balancer.Tests.Config;

/// <summary>
/// <c>token = "file:…"</c> reads a small regular file. A device or a FIFO used to hang <c>check</c>, and
/// /dev/zero delivered by SIGHUP grew the process to 4.3 GB before failing (issue 11).
/// </summary>
public sealed class ConfigLoaderTokenFileTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-token-");

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>The token is on line 3; the rest makes the config valid.</summary>
    private static string Config(string token) => $"""
        [admin]
        listen = "127.0.0.1:9900"
        token = "file:{token}"

        [[listener]]
        name = "main"
        bind = "127.0.0.1:0"
        tenant = "acme"

        [[tenant]]
        name = "acme"

        [[tenant.backend]]
        address = "127.0.0.1:9"
        """;

    private static async Task<ConfigLoadResult> LoadWithinDeadlineAsync(string token) =>
        await Task.Run(() => ConfigLoader.Parse(Config(token), ConfigTestHelper.FileName, ConfigTestHelper.FakeDns)).WaitAsync(Deadline);

    private static void AssertOneError(ConfigLoadResult result, string message)
    {
        Assert.False(result.IsValid);
        Assert.Equal(new ConfigError(ConfigTestHelper.FileName, 3, message), Assert.Single(result.Errors));
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    [InlineData("/dev/null")]
    public async Task A_character_device_is_refused_at_once(string device)
    {
        var result = await LoadWithinDeadlineAsync(device);

        AssertOneError(result, $"admin: token: cannot read file \"{device}\": not a regular file (character device)");
    }

    [MkfifoFact]
    public async Task A_fifo_is_refused_without_blocking()
    {
        var path = Path.Combine(_directory.FullName, "token.fifo");
        Fifo.Create(path);

        var result = await Fifo.WithinAsync(path, Deadline, () => ConfigLoader.Parse(Config(path), ConfigTestHelper.FileName, ConfigTestHelper.FakeDns));

        AssertOneError(result, $"admin: token: cannot read file \"{path}\": not a regular file (FIFO)");
    }

    [Fact]
    public async Task A_directory_is_refused()
    {
        var result = await LoadWithinDeadlineAsync(_directory.FullName);

        AssertOneError(result, $"admin: token: cannot read file \"{_directory.FullName}\": not a regular file (directory)");
    }

    [Fact]
    public async Task A_file_larger_than_4096_bytes_is_refused()
    {
        var path = Path.Combine(_directory.FullName, "big");
        File.WriteAllText(path, new string('t', 4097));

        var result = await LoadWithinDeadlineAsync(path);

        AssertOneError(result, $"admin: token: cannot read file \"{path}\": larger than 4096 bytes");
    }

    [Fact]
    public async Task A_file_of_4096_bytes_with_a_newline_is_read_and_trimmed()
    {
        var path = Path.Combine(_directory.FullName, "max");
        File.WriteAllText(path, new string('t', 4095) + "\n");

        var result = await LoadWithinDeadlineAsync(path);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(new string('t', 4095), result.Config.Admin!.Token);
    }

    [Fact]
    public async Task A_symbolic_link_to_a_regular_file_is_followed()
    {
        var target = Path.Combine(_directory.FullName, "target");
        File.WriteAllText(target, "linked\n");
        var link = Path.Combine(_directory.FullName, "link");
        File.CreateSymbolicLink(link, target);

        var result = await LoadWithinDeadlineAsync(link);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("linked", result.Config.Admin!.Token);
    }
}
