using System.Net;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary>
/// Backend host names are resolved at load. A resolver that does not answer used to hold <c>check</c>
/// (and a reload) for as long as the system resolver kept retrying; a lookup now has a deadline and a
/// late one is an ordinary config error.
/// </summary>
public class ConfigLoaderDnsTests
{
    private const string Config = """
        [[listener]]
        name = "main"
        bind = "127.0.0.1:0"
        tenant = "acme"

        [[tenant]]
        name = "acme"

        [[tenant.backend]]
        address = "slow.internal:443"
        """;

    [Fact]
    public void A_lookup_that_times_out_is_a_warning_on_the_backends_line()
    {
        var result = ConfigLoader.Parse(Config, ConfigTestHelper.FileName, _ => throw new TimeoutException("no answer within 5 s"));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(
            new ConfigError(ConfigTestHelper.FileName, 10, "tenant \"acme\": backend address \"slow.internal:443\" cannot be resolved (no answer within 5 s): " +
                "it starts down (check_status DNS) and is looked up again every 30s and in every health check round"),
            Assert.Single(result.Warnings));
    }

    [Fact]
    public void The_warning_names_the_configured_resolve_interval()
    {
        var result = ConfigLoader.Parse("[global]\nresolve_interval = \"2m\"\n" + Config, ConfigTestHelper.FileName, _ => throw new TimeoutException("no answer within 5 s"));

        Assert.Equal(TimeSpan.FromMinutes(2), result.Config!.Global.ResolveInterval);
        Assert.Contains("looked up again every 2m and", Assert.Single(result.Warnings).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lookup_that_never_answers_gives_up_after_its_timeout()
    {
        var never = new TaskCompletionSource<IPAddress[]>();

        var resolve = Task.Run(() => ConfigLoader.ResolveHost("slow.internal", (_, _) => never.Task, TimeSpan.FromMilliseconds(200)));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => resolve.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal("no answer within 0.2 s", error.Message);
    }

    [Fact]
    public void A_lookup_that_answers_in_time_is_used()
    {
        var addresses = ConfigLoader.ResolveHost("fast.internal", (_, _) => Task.FromResult(new[] { IPAddress.Parse("10.0.0.7") }), TimeSpan.FromSeconds(5));

        Assert.Equal([IPAddress.Parse("10.0.0.7")], addresses);
    }

    [Fact]
    public void Localhost_needs_no_lookup()
    {
        var addresses = ConfigLoader.ResolveHost("LocalHost", (_, _) => throw new InvalidOperationException("no lookup expected"), TimeSpan.FromSeconds(5));

        Assert.Equal([IPAddress.Loopback], addresses);
    }
}
