using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public sealed class ConfigLoaderFileTests : IDisposable
{
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
}
