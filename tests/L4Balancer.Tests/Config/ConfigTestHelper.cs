using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary>Parses TOML text the way the loader does, with a fake DNS so tests never depend on the network.</summary>
internal static class ConfigTestHelper
{
    public const string FileName = "test.toml";

    /// <summary>
    /// Most tests are a snippet about one table, and a config needs a listener to be valid; one that
    /// does not mention listeners at all gets a port listener with its own tenant appended (after the
    /// snippet, so the snippet's line numbers hold). Tests of the listener rule itself call the loader.
    /// </summary>
    public static string WithListener(string toml) =>
        toml.Contains("listener", StringComparison.Ordinal)
            ? toml
            : toml + """


                [[listener]]
                name = "helper-listener"
                bind = "127.0.0.1:0"
                tenant = "helper-tenant"

                [[tenant]]
                name = "helper-tenant"

                [[tenant.backend]]
                address = "127.0.0.1:9"
                """;

    public static IReadOnlyList<ConfigError> Errors(string toml)
    {
        var result = ConfigLoader.Parse(WithListener(toml), FileName, FakeDns);
        Assert.False(result.IsValid, "expected the config to be invalid");
        Assert.Null(result.Config);
        return result.Errors;
    }

    /// <summary>Asserts exactly one error, on that line, with that message.</summary>
    public static void AssertError(string toml, int line, string message) =>
        Assert.Equal(new ConfigError(FileName, line, message), Assert.Single(Errors(toml)));

    public static BalancerConfig Load(string toml)
    {
        var result = ConfigLoader.Parse(WithListener(toml), FileName, FakeDns);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config;
    }

    public static IPAddress[] FakeDns(string host) => host switch
    {
        "localhost" => [IPAddress.Loopback],
        "api.internal" => [IPAddress.Parse("10.9.0.1")],
        "dual.internal" => [IPAddress.Parse("2001:db8::7"), IPAddress.Parse("10.9.0.2")],
        "v6only.internal" => [IPAddress.Parse("2001:db8::5")],
        _ => throw new SocketException((int)SocketError.HostNotFound),
    };
}
