using System.Net;
using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

public sealed class ConfigLoaderAdminTests : IDisposable
{
    // Unique per test instance: tests run in parallel and environment variables are process-wide.
    private readonly string _variable = "L4B_TEST_TOKEN_" + Guid.NewGuid().ToString("N");
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-config-");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        _directory.Delete(recursive: true);
    }

    private static string Admin(string token) => $"""
        [admin]
        listen = "[::1]:9900"
        token = "{token}"
        """;

    [Fact]
    public void Literal_token()
    {
        var admin = Load(Admin("s3cret")).Admin;

        Assert.NotNull(admin);
        Assert.Equal("s3cret", admin.Token);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 9900), admin.Listen);
    }

    [Fact]
    public void Token_from_an_environment_variable()
    {
        Environment.SetEnvironmentVariable(_variable, "from-env");

        Assert.Equal("from-env", Load(Admin($"env:{_variable}")).Admin!.Token);
    }

    [Fact]
    public void Unset_environment_variable()
    {
        AssertError(Admin($"env:{_variable}"), 3, $"admin: token: environment variable \"{_variable}\" is not set");
    }

    [Fact]
    public void Environment_variable_without_a_name()
    {
        AssertError(Admin("env:"), 3, "admin: token \"env:\" needs a variable name, e.g. \"env:L4B_ADMIN_TOKEN\"");
    }

    [Fact]
    public void Token_from_a_file_with_its_newline_trimmed()
    {
        var path = Path.Combine(_directory.FullName, "token");
        File.WriteAllText(path, "from-file\n");

        Assert.Equal("from-file", Load(Admin($"file:{path}")).Admin!.Token);
    }

    [Fact]
    public void Relative_token_file_starts_at_the_config_files_directory()
    {
        File.WriteAllText(Path.Combine(_directory.FullName, "token"), "relative");
        var configPath = Path.Combine(_directory.FullName, "balancer.toml");
        File.WriteAllText(configPath, WithListener(Admin("file:token")));

        var result = ConfigLoader.LoadFile(configPath);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("relative", result.Config.Admin!.Token);
    }

    [Fact]
    public void Missing_token_file()
    {
        var path = Path.Combine(_directory.FullName, "absent");

        var error = Assert.Single(Errors(Admin($"file:{path}")));

        Assert.Equal(3, error.Line);
        Assert.StartsWith($"admin: token: cannot read file \"{path}\": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_token_file()
    {
        var path = Path.Combine(_directory.FullName, "empty");
        File.WriteAllText(path, "\n");

        AssertError(Admin($"file:{path}"), 3, $"admin: token: file \"{path}\" is empty");
    }

    [Fact]
    public void Empty_literal_token()
    {
        AssertError(Admin(""), 3, "admin: token must not be empty");
    }

    [Fact]
    public void Bad_listen_address()
    {
        AssertError("""
            [admin]
            listen = "localhost:9900"
            token = "t"
            """, 2, "admin: listen \"localhost:9900\" must be IPv4:port or [IPv6]:port");
    }
}
