using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Health;

/// <summary>Backends that answer a health check well or badly (issue 17), each a real socket on 127.0.0.1 port 0.</summary>
internal static class HealthBackends
{
    /// <summary>An HTTP/1.1 server answering every request with <paramref name="status"/> (over TLS with <paramref name="certificate"/>).</summary>
    public static TinyHttpServer Http(int status, X509Certificate2? certificate = null)
    {
        var server = new TinyHttpServer(certificate);
        server.Respond(TinyHttpServer.Raw(TinyHttpServer.Head(status, "text/plain", 3) + "ok\n"));
        return server;
    }

    /// <summary>Accepts and reads, never answers, until the client closes: a wedged gateway.</summary>
    public static TestBackend Stalled() => TestBackend.Start(Handlers.HoldAsync);

    /// <summary>Accepts, reads the first bytes of the request, then resets the connection.</summary>
    public static TestBackend Resetting() => TestBackend.Start(async socket =>
    {
        var buffer = new byte[1024];
        await socket.ReceiveAsync(buffer, SocketFlags.None);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    });

    /// <summary>Completes a TLS handshake with <paramref name="certificate"/>, records the SNI the client sent, then holds until the client closes.</summary>
    public static TestBackend Tls(X509Certificate2 certificate, ConcurrentQueue<string> serverNames) => TestBackend.Start(async socket =>
    {
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateSelectionCallback = (_, name) =>
            {
                serverNames.Enqueue(name ?? "");
                return certificate;
            },
        }, Deadline.After());
        var buffer = new byte[1024];
        while (await tls.ReadAsync(buffer, Deadline.After()) > 0)
        {
        }
    });

    /// <summary>A self-signed certificate for <paramref name="name"/> (subject and DNS name), usable by SslStream as a server certificate.</summary>
    public static X509Certificate2 Certificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes <paramref name="certificate"/> as PEM to a temporary file (a <c>ca</c> for the config) and returns its path.</summary>
    public static string WritePem(X509Certificate2 certificate)
    {
        var path = Path.Combine(Path.GetTempPath(), $"l4b-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem(), Encoding.ASCII);
        return path;
    }
}
