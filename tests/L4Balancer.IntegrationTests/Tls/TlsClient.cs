using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>An SslStream client that accepts any certificate but records which one it was shown.</summary>
internal static class TlsClient
{
    /// <summary>
    /// Connects, handshakes with <paramref name="targetHost"/> as the SNI, reads the greeting, sends one
    /// line and reads it back, then closes cleanly (close_notify, FIN, wait for the server's EOF) so the
    /// session ends as <c>closed</c>. <paramref name="wrap"/> can interpose on the raw byte stream.
    /// </summary>
    public static async Task<TlsExchange> ExchangeAsync(IPEndPoint endPoint, string targetHost, Func<Stream, Stream>? wrap = null)
    {
        var deadline = Deadline.After();
        using var socket = await SocketExtensions.ConnectToAsync(endPoint, cancellationToken: deadline);
        Stream transport = new NetworkStream(socket, ownsSocket: false);
        if (wrap is not null)
        {
            transport = wrap(transport);
        }

        string? certificateName = null;
        await using var tls = new SslStream(transport, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(Options(targetHost, name => certificateName = name), deadline);

        using var reader = new StreamReader(tls, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        var greeting = await reader.ReadLineAsync(deadline);
        var probe = "ping " + targetHost;
        await tls.WriteAsync(Encoding.ASCII.GetBytes(probe + "\n"), deadline);
        var echo = await reader.ReadLineAsync(deadline);

        await tls.ShutdownAsync();
        socket.Shutdown(SocketShutdown.Send);
        var rest = new byte[1024];
        while (await tls.ReadAsync(rest, deadline) > 0)
        {
        }

        return new TlsExchange(certificateName, greeting, echo == probe);
    }

    /// <summary>Runs a client handshake that is expected to fail; returns how it failed.</summary>
    public static async Task<Exception?> HandshakeFailureAsync(IPEndPoint endPoint, string targetHost)
    {
        var deadline = Deadline.After();
        using var socket = await SocketExtensions.ConnectToAsync(endPoint, cancellationToken: deadline);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        try
        {
            await tls.AuthenticateAsClientAsync(Options(targetHost, _ => { }), deadline);
            return null;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return ex;
        }
    }

    private static SslClientAuthenticationOptions Options(string targetHost, Action<string?> seen) => new()
    {
        TargetHost = targetHost,
        RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            seen(certificate is X509Certificate2 c2 ? c2.GetNameInfo(X509NameType.SimpleName, forIssuer: false) : certificate?.Subject);
            return true;
        },
    };
}
