using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.ProxyProtocol;

namespace L4Balancer.Core.Health;

/// <summary>
/// The active check of issue 17, layered as HAProxy's: a TCP connect (<c>type = "tcp"</c>), then a TLS
/// handshake (<c>"tls"</c>, or <c>"http"</c> with <c>tls = true</c>), then an HTTP <c>GET</c> whose status
/// line must come back with a status in <c>expect_status</c> (<c>"http"</c>), all within one <c>timeout</c>.
/// How far it got names the outcome (L4, L6, L7). A backend that expects PROXY protocol first gets a header
/// saying "no client" (v1 <c>PROXY UNKNOWN</c>, v2 <c>LOCAL</c>), as HAProxy's <c>check-send-proxy</c> does:
/// without it, nginx's <c>listen … proxy_protocol</c> logs a broken header for every check.
/// </summary>
/// <remarks>
/// Runs on the thread pool, never on an epoll loop or a relay, so a slow backend delays only its own
/// check. The socket is disposed on every path (a <c>using</c> around everything), whether the check
/// passed, failed, timed out or was cancelled by a reload.
/// </remarks>
internal sealed class HealthProbe(TimeProvider timeProvider) : IHealthProbe
{
    /// <summary>A status line is a few dozen bytes; a backend that sends kilobytes without a line end is not answering HTTP.</summary>
    public const int MaxStatusLineBytes = 4096;

    private enum Stage
    {
        Connect,
        Handshake,
        Response,
    }

    public async ValueTask<CheckResult> ProbeAsync(BackendState backend, HealthConfig settings, ProxyProtocolMode proxyProtocol, CancellationToken cancellationToken)
    {
        var endPoint = backend.EndPoint;
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(settings.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        var stage = Stage.Connect;
        string? certificateError = null;
        try
        {
            await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
            if (proxyProtocol != ProxyProtocolMode.Off)
            {
                var header = new byte[ProxyHeaderWriter.BufferSize];
                var length = ProxyHeaderWriter.Write(proxyProtocol, null, null, header);
                await socket.SendAsync(header.AsMemory(0, length), SocketFlags.None, linked.Token).ConfigureAwait(false);
            }

            if (settings.Type == HealthCheckType.Tcp)
            {
                // A graceful close (FIN) rather than HAProxy's RST: the backend sees an ordinary short
                // connection, and the TIME_WAIT it leaves is on our side, a few per backend per minute.
                ShutdownQuietly(socket);
                return new CheckResult(CheckStatus.L4OK, "connected");
            }

            var stream = new NetworkStream(socket, ownsSocket: false);
            await using (stream.ConfigureAwait(false))
            {
                if (!settings.UsesTls)
                {
                    stage = Stage.Response;
                    return await RequestAsync(stream, backend, settings, linked.Token).ConfigureAwait(false);
                }

                stage = Stage.Handshake;
                var tls = new SslStream(stream, leaveInnerStreamOpen: true);
                await using (tls.ConfigureAwait(false))
                {
                    var options = new SslClientAuthenticationOptions
                    {
                        TargetHost = settings.Sni ?? "",
                        RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                            settings.Ca is not { } ca || Verify(ca, settings.Sni, certificate, errors, out certificateError),
                    };
                    await tls.AuthenticateAsClientAsync(options, linked.Token).ConfigureAwait(false);
                    if (settings.Type == HealthCheckType.Tls)
                    {
                        return new CheckResult(CheckStatus.L6OK, $"{ProtocolName(tls.SslProtocol)} handshake completed");
                    }

                    stage = Stage.Response;
                    return await RequestAsync(tls, backend, settings, linked.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or AuthenticationException or ObjectDisposedException)
        {
            // Stopped (a reload replaced the checks): whatever the cut-short operation threw, it says nothing about the backend.
            cancellationToken.ThrowIfCancellationRequested();
            return deadline.IsCancellationRequested ? TimedOut(stage, settings.Timeout) : Failed(stage, ex, certificateError);
        }
    }

    /// <summary>Sends the <c>GET</c>, reads up to the end of the status line and judges the status; the rest of the answer is not read.</summary>
    private static async Task<CheckResult> RequestAsync(Stream channel, BackendState backend, HealthConfig settings, CancellationToken cancellationToken)
    {
        var request = Encoding.ASCII.GetBytes(
            $"GET {settings.Path} HTTP/1.1\r\nHost: {settings.Host ?? settings.Sni ?? backend.Address}\r\n" +
            "User-Agent: l4balancer-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");
        await channel.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        await channel.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await ReadStatusAsync(channel, settings.ExpectStatus, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<CheckResult> ReadStatusAsync(Stream channel, HttpStatusRanges expect, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxStatusLineBytes];
        var length = 0;
        while (true)
        {
            var end = buffer.AsSpan(0, length).IndexOf((byte)'\n');
            if (end >= 0)
            {
                return Judge(Encoding.ASCII.GetString(buffer, 0, end).TrimEnd('\r'), expect);
            }

            if (length == buffer.Length)
            {
                return new CheckResult(CheckStatus.L7RSP, string.Create(CultureInfo.InvariantCulture, $"no status line in the first {MaxStatusLineBytes} bytes"));
            }

            var read = await channel.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return new CheckResult(CheckStatus.L7RSP, length == 0 ? "connection closed without a response" : "connection closed inside the status line");
            }

            length += read;
        }
    }

    /// <summary><c>HTTP/1.x NNN reason</c>; anything else is not an HTTP/1 answer.</summary>
    internal static CheckResult Judge(string statusLine, HttpStatusRanges expect)
    {
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[1].Length != 3
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status < 100)
        {
            return new CheckResult(CheckStatus.L7RSP, $"not an HTTP response: \"{Printable(statusLine)}\"");
        }

        var text = Printable(string.Join(' ', parts.Skip(1)));
        return expect.Contains(status)
            ? new CheckResult(CheckStatus.L7OK, $"HTTP {text}")
            : new CheckResult(CheckStatus.L7STS, $"HTTP {text} (expect_status {expect})");
    }

    private static CheckResult TimedOut(Stage stage, TimeSpan timeout)
    {
        var within = DurationParser.Format(timeout);
        return stage switch
        {
            Stage.Connect => new CheckResult(CheckStatus.L4TOUT, $"no TCP connect within {within}"),
            Stage.Handshake => new CheckResult(CheckStatus.L6TOUT, $"no TLS handshake within {within}"),
            _ => new CheckResult(CheckStatus.L7TOUT, $"no HTTP status line within {within}"),
        };
    }

    private static CheckResult Failed(Stage stage, Exception ex, string? certificateError)
    {
        var reason = Reason(ex);
        return stage switch
        {
            Stage.Connect => new CheckResult(CheckStatus.L4CON, reason),
            Stage.Handshake => new CheckResult(CheckStatus.L6RSP, certificateError ?? $"TLS handshake failed: {reason}"),
            _ => new CheckResult(CheckStatus.L7RSP, reason),
        };
    }

    /// <summary>The socket error when there is one ("Connection refused", "Connection reset by peer"), which says more than the wrappers' texts.</summary>
    private static string Reason(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException socketError)
            {
                return socketError.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.ConnectionReset => "connection reset by the backend",
                    _ => socketError.Message,
                };
            }
        }

        return ex is IOException { InnerException: null } && ex.Message.Contains("0 bytes", StringComparison.Ordinal)
            ? "connection closed by the backend"
            : ex.Message;
    }

    /// <summary>
    /// With <c>ca</c>: the chain must end at one of its certificates (and only those: the system's roots are
    /// not consulted), and with an SNI name the certificate must be for it, as HAProxy's <c>verify required</c>
    /// with <c>ca-file</c> and <c>verifyhost</c>.
    /// </summary>
    private static bool Verify(TrustedCertificates ca, string? sni, X509Certificate? certificate, SslPolicyErrors errors, out string? error)
    {
        if (certificate is null)
        {
            error = "the backend sent no certificate";
            return false;
        }

        if (sni is not null && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            error = $"the certificate is not for {sni}";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca.Certificates);
        using var leaf = new X509Certificate2(certificate);
        if (chain.Build(leaf))
        {
            error = null;
            return true;
        }

        var status = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).FirstOrDefault(s => s.Length > 0) ?? "untrusted";
        error = $"certificate not trusted by ca {ca.Path}: {status}";
        return false;
    }

    private static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };

    /// <summary>At most 80 characters, control characters as '.', for a status line quoted in the status and the logs.</summary>
    private static string Printable(string text)
    {
        var clipped = text.Length > 80 ? text[..80] + "…" : text;
        return string.Create(clipped.Length, clipped, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '.' : source[i];
            }
        });
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // The backend closed first; the check still passed.
        }
    }
}
