using L4Balancer.Core.Config;
using L4Balancer.TestSupport.Files;

namespace L4Balancer.Tests.Config;

public sealed class ConfigLoaderFileTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-config-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Missing_file_is_one_error_without_a_line()
    {
        var path = Path.Combine(_directory.FullName, "nope.toml");

        var result = ConfigLoader.LoadFile(path);

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.File);
        Assert.Null(error.Line);
        Assert.StartsWith($"{path}: cannot read the config file: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_name_the_file_as_written_and_the_snapshot_keeps_the_full_path()
    {
        var path = Path.Combine(_directory.FullName, "balancer.toml");
        File.WriteAllText(path, ConfigTestHelper.WithListener("[global]\nmax_connections = 10\n"));
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);

        var valid = ConfigLoader.LoadFile(relative);
        Assert.True(valid.IsValid, string.Join("\n", valid.Errors));
        Assert.Equal(path, valid.Config.SourcePath);

        File.WriteAllText(path, ConfigTestHelper.WithListener("[global]\nmax_connections = -1\n"));
        var invalid = ConfigLoader.LoadFile(relative);
        Assert.Equal($"{relative}:2: global: max_connections must be >= 0 (got -1)", Assert.Single(invalid.Errors).ToString());
    }

    private static async Task<ConfigError> SingleErrorWithinDeadlineAsync(string path)
    {
        var result = await Task.Run(() => ConfigLoader.LoadFile(path)).WaitAsync(Deadline);
        Assert.False(result.IsValid);
        return Assert.Single(result.Errors);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public async Task A_character_device_as_the_config_file_is_refused_at_once(string device)
    {
        var error = await SingleErrorWithinDeadlineAsync(device);

        Assert.Equal($"{device}: cannot read the config file: not a regular file (character device)", error.ToString());
    }

    [MkfifoFact]
    public async Task A_fifo_as_the_config_file_is_refused_without_blocking()
    {
        var path = Path.Combine(_directory.FullName, "balancer.toml");
        Fifo.Create(path);

        var result = await Fifo.WithinAsync(path, Deadline, () => ConfigLoader.LoadFile(path));

        Assert.Equal($"{path}: cannot read the config file: not a regular file (FIFO)", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public async Task A_directory_as_the_config_file_is_refused()
    {
        var error = await SingleErrorWithinDeadlineAsync(_directory.FullName);

        Assert.Equal($"{_directory.FullName}: cannot read the config file: not a regular file (directory)", error.ToString());
    }

    [Fact]
    public async Task A_config_file_larger_than_16_MiB_is_refused_without_parsing_it()
    {
        var path = Path.Combine(_directory.FullName, "huge.toml");
        using (var file = File.Create(path))
        {
            // Sparse: costs no disk. Zero bytes would also be one TOML error per byte.
            file.SetLength(16 * 1024 * 1024 + 1);
        }

        var error = await SingleErrorWithinDeadlineAsync(path);

        Assert.Equal($"{path}: cannot read the config file: larger than 16 MiB (16777216 bytes)", error.ToString());
    }
}
