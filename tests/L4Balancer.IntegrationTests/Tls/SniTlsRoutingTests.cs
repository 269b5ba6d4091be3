using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// Real TLS through an sni listener: .NET SslStream clients and SslStream backends, one certificate per
/// tenant. The balancer only peeks the ClientHello, so a completed handshake with the right certificate
/// proves both the routing and the byte-for-byte replay.
/// </summary>
public class SniTlsRoutingTests
{
    public static TheoryData<string, string> Names => new()
    {
        { "llm.acme.example", "acme" },           // exact
        { "LLM.ACME.EXAMPLE.", "acme" },          // case and a trailing dot do not matter
        { "foo.acme.example", "acme" },           // *.acme.example
        { "x.acme.example", "special" },          // an exact name beats acme's wildcard
        { "a.b.deep.acme.example", "deep" },      // *.deep.acme.example is longer than *.acme.example
        { "api.beta.example", "beta" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Handshake_completes_with_the_certificate_and_backend_of_the_tenant_claiming_the_name(string serverName, string tenant)
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config());

        var exchange = await TlsClient.ExchangeAsync(balancer.EndPoint(), serverName);

        Assert.Equal(tenant, exchange.CertificateName);
        Assert.Equal(tenant, exchange.Greeting);
        Assert.True(exchange.Echoed);
        Assert.Equal(1, tenants.Backends[tenant].Total);
        Assert.Equal(1, tenants.TotalAccepted);
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=closed")), because: "the session's access-log record");
        var record = Assert.Single(balancer.AccessLog);
        Assert.Contains($"tenant={tenant} ", record);
        Assert.Contains($"sni={serverName.ToLowerInvariant().TrimEnd('.')} ", record);
    }

    [Fact]
    public async Task Every_name_on_one_listener_in_turn_and_at_once()
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config());
        var cases = Names.Select(row => ((string)row[0], (string)row[1])).ToArray();

        foreach (var (serverName, tenant) in cases)
        {
            var exchange = await TlsClient.ExchangeAsync(balancer.EndPoint(), serverName);
            Assert.Equal((tenant, tenant, true), (exchange.CertificateName, exchange.Greeting, exchange.Echoed));
        }

        var concurrent = await Task.WhenAll(cases.Select(c => TlsClient.ExchangeAsync(balancer.EndPoint(), c.Item1)));
        Assert.Equal(cases.Select(c => c.Item2), concurrent.Select(e => e.CertificateName));
        Assert.Equal(cases.Select(c => c.Item2), concurrent.Select(e => e.Greeting));
        Assert.All(concurrent, e => Assert.True(e.Echoed));
    }

    [Theory]
    [InlineData("nobody.example")]     // a name no tenant claims
    [InlineData("acme.example")]       // *.acme.example needs at least one more label
    [InlineData("127.0.0.1")]          // SslStream sends no server_name for an IP literal (RFC 6066)
    public async Task Unclaimed_or_missing_sni_goes_to_the_fallback_tenant(string targetHost)
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(fallback: "beta"));

        var exchange = await TlsClient.ExchangeAsync(balancer.EndPoint(), targetHost);

        Assert.Equal(("beta", "beta", true), (exchange.CertificateName, exchange.Greeting, exchange.Echoed));
        Assert.Equal(1, tenants.Backends["beta"].Total);
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=closed")), because: "the session's access-log record");
        var record = Assert.Single(balancer.AccessLog);
        Assert.Contains("tenant=beta ", record);
        Assert.Contains(targetHost == "127.0.0.1" ? "sni=- " : $"sni={targetHost} ", record);
        Assert.Equal(0, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", CloseReason.UnknownSni));
    }

    [Fact]
    public async Task Without_fallback_unclaimed_and_missing_sni_are_closed_before_any_backend_and_counted_unknown_sni()
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(fallback: null));

        // The listener works for a claimed name...
        var served = await TlsClient.ExchangeAsync(balancer.EndPoint(), "api.beta.example");
        Assert.Equal("beta", served.Greeting);
        var acceptedBefore = tenants.TotalAccepted;

        // ...and turns away a name nobody claims and a hello without SNI.
        var unknown = await TlsClient.HandshakeFailureAsync(balancer.EndPoint(), "nobody.example");
        var noSni = await TlsClient.HandshakeFailureAsync(balancer.EndPoint(), "127.0.0.1");

        Assert.NotNull(unknown);
        Assert.NotNull(noSni);
        Assert.Equal(2, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", CloseReason.UnknownSni));
        await Deadline.UntilAsync(() => balancer.AccessLog.Count(l => l.Contains("end=unknown_sni")) == 2, because: "two rejection records");
        Assert.Contains(balancer.AccessLog, l => l.Contains("sni=nobody.example ") && l.Contains("tenant=- ") && l.Contains("backend=- "));
        Assert.Contains(balancer.AccessLog, l => l.Contains("sni=- ") && l.Contains("end=unknown_sni"));
        Assert.Equal(acceptedBefore, tenants.TotalAccepted);
    }
}
