using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Health;

/// <summary>
/// The tcp, tls and http checks of issue 17 against real backends: what each outcome is called (HAProxy's
/// L4/L6/L7 statuses), and that the check's connection is closed on every outcome (the backend sees it end).
/// </summary>
public class HealthProbeTests
{
    /// <summary>For the checks meant to time out; the others get 5s, room for a busy two-core machine's first JIT.</summary>
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(500);

    private static async Task<CheckResult> ProbeAsync(IPEndPoint endPoint, HealthConfig settings, ProxyProtocolMode proxy = ProxyProtocolMode.Off)
    {
        var backend = new BackendState("t", new BackendConfig { Address = endPoint.ToString(), EndPoint = endPoint, Port = endPoint.Port });
        return await new HealthProbe(TimeProvider.System).ProbeAsync(backend, settings with { Timeout = settings.Timeout == new HealthConfig().Timeout ? TimeSpan.FromSeconds(5) : settings.Timeout }, proxy, Deadline.After()).AsTask().WaitAsync(Deadline.After());
    }

    private static HealthConfig Http(bool tls = false) => new() { Type = HealthCheckType.Http, Tls = tls, Path = "/ready?deep=1" };

    /// <summary>The probe closed its connection: the backend's handler ended (it reads until EOF or its own close).</summary>
    private static Task ClosedAsync(TestBackend backend) => Deadline.UntilAsync(() => backend.Active == 0, because: "the check closes its connection");

    [Fact]
    public async Task Tcp_connect_is_L4OK_and_a_refused_one_L4CON()
    {
        await using var backend = HealthBackends.Stalled();
        Assert.Equal(new CheckResult(CheckStatus.L4OK, "connected"), await ProbeAsync(backend.EndPoint, new HealthConfig()));
        await ClosedAsync(backend);

        Assert.Equal(new CheckResult(CheckStatus.L4CON, "connection refused"), await ProbeAsync(TestConfigs.ClosedPort(), new HealthConfig()));
    }

    [Fact]
    public async Task A_connect_that_hangs_is_L4TOUT()
    {
        await using var blackhole = Blackhole.Start();
        Assert.Equal(new CheckResult(CheckStatus.L4TOUT, "no TCP connect within 500ms"), await ProbeAsync(blackhole.EndPoint, new HealthConfig { Timeout = Short }));
    }

    [Fact]
    public async Task Http_200_is_L7OK_with_the_path_and_host_asked_for()
    {
        await using var server = HealthBackends.Http(200);

        var result = await ProbeAsync(server.EndPoint, Http() with { Host = "llm.acme.example" });

        Assert.Equal(new CheckResult(CheckStatus.L7OK, "HTTP 200 X"), result);
        Assert.True(server.Requests.TryDequeue(out var head));
        Assert.StartsWith("GET /ready?deep=1 HTTP/1.1\r\nHost: llm.acme.example\r\n", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_host_or_sni_the_host_header_is_the_backends_address()
    {
        await using var server = HealthBackends.Http(204);

        Assert.Equal(CheckStatus.L7OK, (await ProbeAsync(server.EndPoint, Http())).Status);
        Assert.True(server.Requests.TryDequeue(out var head));
        Assert.Contains($"\r\nHost: {server.EndPoint}\r\n", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_500_is_L7STS_and_a_status_in_expect_status_passes()
    {
        await using var server = HealthBackends.Http(500);

        Assert.Equal(new CheckResult(CheckStatus.L7STS, "HTTP 500 X (expect_status 200-399)"), await ProbeAsync(server.EndPoint, Http()));

        HttpStatusRanges.TryParse("200-399,500", out var ranges, out _);
        Assert.Equal(CheckStatus.L7OK, (await ProbeAsync(server.EndPoint, Http() with { ExpectStatus = ranges! })).Status);
    }

    [Fact]
    public async Task A_backend_that_accepts_and_never_answers_is_L7TOUT_and_its_connection_is_closed()
    {
        await using var backend = HealthBackends.Stalled();

        Assert.Equal(new CheckResult(CheckStatus.L7TOUT, "no HTTP status line within 500ms"), await ProbeAsync(backend.EndPoint, Http() with { Timeout = Short }));
        await ClosedAsync(backend);
        Assert.Equal(1, backend.Total);
    }

    [Fact]
    public async Task A_backend_that_resets_is_L7RSP()
    {
        await using var backend = HealthBackends.Resetting();

        var result = await ProbeAsync(backend.EndPoint, Http());

        Assert.Equal(CheckStatus.L7RSP, result.Status);
        Assert.Contains(result.Detail, new[] { "connection reset by the backend", "connection closed without a response" });
    }

    [Fact]
    public async Task A_backend_that_answers_something_else_is_L7RSP()
    {
        await using var backend = TestBackend.Named("SSH-2.0-OpenSSH_9.6");

        Assert.Equal(new CheckResult(CheckStatus.L7RSP, "not an HTTP response: \"SSH-2.0-OpenSSH_9.6\""), await ProbeAsync(backend.EndPoint, Http()));
    }

    [Fact]
    public async Task Tls_handshake_with_a_self_signed_backend_is_L6OK_without_a_ca_and_sends_the_sni()
    {
        using var certificate = HealthBackends.Certificate("llm.test.example");
        var names = new ConcurrentQueue<string>();
        await using var backend = HealthBackends.Tls(certificate, names);

        var result = await ProbeAsync(backend.EndPoint, new HealthConfig { Type = HealthCheckType.Tls, Sni = "llm.test.example" });

        Assert.Equal(CheckStatus.L6OK, result.Status);
        Assert.Matches("^TLSv1\\.[23] handshake completed$", result.Detail);
        Assert.Equal(["llm.test.example"], names);
        await ClosedAsync(backend);
    }

    [Fact]
    public async Task With_a_ca_the_certificate_must_chain_to_it_and_name_the_sni()
    {
        using var certificate = HealthBackends.Certificate("llm.test.example");
        using var other = HealthBackends.Certificate("other.test.example");
        await using var backend = HealthBackends.Tls(certificate, new ConcurrentQueue<string>());
        var check = new HealthConfig { Type = HealthCheckType.Tls, Sni = "llm.test.example" };

        var trusted = await ProbeAsync(backend.EndPoint, check with { Ca = new TrustedCertificates("ca.pem", [X509CertificateLoader.LoadCertificate(certificate.RawData)]) });
        Assert.Equal(CheckStatus.L6OK, trusted.Status);

        var untrusted = await ProbeAsync(backend.EndPoint, check with { Ca = new TrustedCertificates("other.pem", [X509CertificateLoader.LoadCertificate(other.RawData)]) });
        Assert.Equal(CheckStatus.L6RSP, untrusted.Status);
        Assert.StartsWith("certificate not trusted by ca other.pem: ", untrusted.Detail, StringComparison.Ordinal);

        var wrongName = await ProbeAsync(backend.EndPoint, check with
        {
            Sni = "api.test.example",
            Ca = new TrustedCertificates("ca.pem", [X509CertificateLoader.LoadCertificate(certificate.RawData)]),
        });
        Assert.Equal(new CheckResult(CheckStatus.L6RSP, "the certificate is not for api.test.example"), wrongName);
        await ClosedAsync(backend);
    }

    [Fact]
    public async Task A_tls_check_of_a_plain_backend_is_L6RSP_and_of_a_silent_one_L6TOUT()
    {
        await using var plain = TestBackend.Named("HTTP/1.1 400 Bad Request"); // speaks first, and not TLS
        var refused = await ProbeAsync(plain.EndPoint, new HealthConfig { Type = HealthCheckType.Tls });
        Assert.Equal(CheckStatus.L6RSP, refused.Status);
        Assert.StartsWith("TLS handshake failed: ", refused.Detail, StringComparison.Ordinal);

        await using var silent = HealthBackends.Stalled();
        Assert.Equal(new CheckResult(CheckStatus.L6TOUT, "no TLS handshake within 500ms"), await ProbeAsync(silent.EndPoint, new HealthConfig { Type = HealthCheckType.Tls, Timeout = Short }));
        await ClosedAsync(silent);
    }

    [Fact]
    public async Task Http_over_tls_is_L7OK_and_the_host_defaults_to_the_sni()
    {
        using var certificate = HealthBackends.Certificate("llm.test.example");
        await using var server = HealthBackends.Http(200, certificate);

        var result = await ProbeAsync(server.EndPoint, Http(tls: true) with { Sni = "llm.test.example" });

        Assert.Equal(new CheckResult(CheckStatus.L7OK, "HTTP 200 X"), result);
        Assert.True(server.Requests.TryDequeue(out var head));
        Assert.Contains("\r\nHost: llm.test.example\r\n", head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proxy_protocol_tenant_sends_the_header_before_the_request()
    {
        await using var backend = TestBackend.Start(async socket =>
        {
            var received = new List<byte>();
            var buffer = new byte[1024];
            while (!System.Text.Encoding.ASCII.GetString([.. received]).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }

            var text = System.Text.Encoding.ASCII.GetString([.. received]);
            var status = text.StartsWith("PROXY UNKNOWN\r\nGET / HTTP/1.1\r\n", StringComparison.Ordinal) ? 200 : 400;
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n"), System.Net.Sockets.SocketFlags.None);
        });

        var result = await ProbeAsync(backend.EndPoint, new HealthConfig { Type = HealthCheckType.Http }, ProxyProtocolMode.V1);

        Assert.Equal(new CheckResult(CheckStatus.L7OK, "HTTP 200 X"), result);
    }

    [Fact]
    public async Task A_check_stopped_by_a_reload_is_cancelled_not_failed_and_its_connection_closed()
    {
        await using var backend = HealthBackends.Stalled();
        var state = new BackendState("t", new BackendConfig { Address = backend.Address, EndPoint = backend.EndPoint, Port = backend.EndPoint.Port });
        var probe = new HealthProbe(TimeProvider.System);

        // Waiting for the status line, and inside the TLS handshake.
        foreach (var settings in new[] { new HealthConfig { Type = HealthCheckType.Http, Timeout = TimeSpan.FromSeconds(20) }, new HealthConfig { Type = HealthCheckType.Tls, Timeout = TimeSpan.FromSeconds(20) } })
        {
            using var stop = new CancellationTokenSource();
            var check = probe.ProbeAsync(state, settings, ProxyProtocolMode.Off, stop.Token).AsTask();
            await Deadline.UntilAsync(() => backend.Active == 1, because: "the check connected");
            await stop.CancelAsync();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => check.WaitAsync(Deadline.After()));
            await ClosedAsync(backend);
        }
    }
}
