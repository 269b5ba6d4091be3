using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cli;

/// <summary>
/// <c>check</c>'s output on the real executable, line by line (issue 17): "did you mean", warnings,
/// one error for a missing <c>]</c>, included files named in messages, and <c>--config</c> twice.
/// </summary>
public sealed class CheckOutputTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("l4b-check-output-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string name, string toml)
    {
        var path = Path.Combine(_directory.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, toml);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task An_unknown_key_gets_a_suggestion_and_stays_an_error()
    {
        var path = Write("balancer.toml", """
            [global]
            max_connection_per_ip = 10

            [[listener]]
            name = "main"
            bind = "127.0.0.1:0"
            tenant = "acme"

            [[tenant]]
            name = "acme"
            max_conections = 5

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);

        var (code, output, errors) = await BalancerProcess.RunWithinAsync(Deadline, "check", "--config", path);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(
            [
                $"{path}:2: global: unknown key \"max_connection_per_ip\" (did you mean \"max_connections_per_ip\"?)",
                $"{path}:11: tenant \"acme\": unknown key \"max_conections\" (did you mean \"max_connections\"?)",
            ],
            Lines(errors));
    }

    [Fact]
    public async Task Warnings_follow_the_summary_of_a_valid_config()
    {
        var path = Write("balancer.toml", """
            include = ["tenants.d/*.toml"]

            [[listener]]
            name = "tls"
            bind = "127.0.0.1:0"
            route = "sni"
            tenant = "default"

            [[tenant]]
            name = "default"

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);
        var orphan = Write("tenants.d/orphan.toml", """
            # nobody routes here
            [[tenant]]
            name = "orphan"

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);
        Write("tenants.d/named.toml", """
            [[tenant]]
            name = "named"
            sni = ["named.example"]

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);

        var (code, output, errors) = await BalancerProcess.RunWithinAsync(Deadline, "check", "--config", path);

        Assert.True(code == 0, errors);
        var summary = Lines(output);
        Assert.Equal($"{path}: ok", summary[0]);
        Assert.Equal("1 listener, 3 tenants, 3 backends", summary[1]);
        Assert.Equal([$"include {Path.Combine(_directory.FullName, "tenants.d/named.toml")}", $"include {orphan}"], summary.Where(l => l.StartsWith("include ", StringComparison.Ordinal)));
        Assert.Equal(["tenant named sni=named.example", "tenant orphan", "tenant default"], summary.Where(l => l.StartsWith("tenant ", StringComparison.Ordinal)));
        Assert.Equal(
            [$"{orphan}:3: warning: tenant \"orphan\" is reachable by no listener: no listener names it as its tenant (or sni fallback), and it claims no server names (sni = [...])"],
            Lines(errors));
    }

    [Fact]
    public async Task A_fallback_tenant_without_backends_is_an_error_with_a_warning_at_the_listener()
    {
        var path = Write("balancer.toml", """
            [[listener]]
            name = "tls"
            bind = "127.0.0.1:0"
            route = "sni"
            tenant = "default"

            [[tenant]]
            name = "default"
            backend = []

            [[tenant]]
            name = "named"
            sni = ["named.example"]
            backend = [{ address = "127.0.0.1:9" }]
            """);

        var (code, _, errors) = await BalancerProcess.RunWithinAsync(Deadline, "check", "--config", path);

        Assert.Equal(2, code);
        Assert.Equal(
            [
                $"{path}:7: tenant \"default\": no backends (add at least one [[tenant.backend]])",
                $"{path}:5: warning: listener \"tls\": its fallback tenant \"default\" has no backend, so a ClientHello without a server name a tenant claims is closed (no_backend)",
            ],
            Lines(errors));
    }

    [Fact]
    public async Task A_missing_bracket_is_one_error()
    {
        var path = Write("balancer.toml", """
            [[listener]]
            name = "main"
            bind = "127.0.0.1:0"
            tenant = "acme"

            [[tenant]
            name = "acme"

            [[tenant.backend]]
            address = "127.0.0.1:9"
            """);

        var (code, _, errors) = await BalancerProcess.RunWithinAsync(Deadline, "check", "--config", path);

        Assert.Equal(2, code);
        Assert.Equal(
            [$"{path}:6: Unexpected token found `]` (token: `closebracket`) while expecting `]]` (token: `closebracketdouble`)"],
            Lines(errors));
    }

    [Fact]
    public async Task Config_given_twice_is_a_usage_error()
    {
        var path = Write("balancer.toml", "");

        var (code, output, errors) = await BalancerProcess.RunWithinAsync(Deadline, "check", "--config", path, "--config", path + ".other");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(
            $"l4balancer: --config is given twice (\"{path}\" and \"{path}.other\"); give one file, and include others from it (include = [...])",
            Lines(errors)[0]);
        Assert.Contains("usage:", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_refuses_config_given_twice_too()
    {
        var (code, _, errors) = await BalancerProcess.RunWithinAsync(Deadline, "--config", "a.toml", "run", "-c", "b.toml");

        Assert.Equal(2, code);
        Assert.StartsWith("l4balancer: --config is given twice (\"a.toml\" and \"b.toml\")", errors, StringComparison.Ordinal);
    }
}
