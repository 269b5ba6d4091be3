using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// A TLS server standing for a tenant's backend: handshakes with the tenant's certificate, greets with
/// the tenant name, then echoes lines until EOF; after echoing <c>bye</c> it closes the session itself
/// (so <c>openssl s_client -ign_eof</c> ends without being killed).
/// </summary>
internal static class TlsBackend
{
    public static TestBackend Start(string tenant) => TestBackend.Start(socket => ServeAsync(socket, tenant));

    private static async Task ServeAsync(Socket socket, string tenant)
    {
        var deadline = Deadline.After();
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = TenantCertificates.For(tenant) }, deadline);
        await tls.WriteAsync(Encoding.ASCII.GetBytes(tenant + "\n"), deadline);

        using var reader = new StreamReader(tls, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 1024, leaveOpen: true);
        while (await reader.ReadLineAsync(deadline) is { } line)
        {
            await tls.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"), deadline);
            if (line == "bye")
            {
                await tls.ShutdownAsync();
                socket.Shutdown(SocketShutdown.Send);
                return;
            }
        }

        // The client's close_notify and FIN: answer in kind.
        await tls.ShutdownAsync();
        socket.Shutdown(SocketShutdown.Send);
    }
}
