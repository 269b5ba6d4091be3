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
