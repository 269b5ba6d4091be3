using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A bare HTTP/1.1 server on 127.0.0.1 port 0 whose responses a test scripts byte for byte (a slow
/// answer, a body without end, garbage), which Kestrel would not let it do. One request per connection.
/// </summary>
internal sealed class TinyHttpServer : IAsyncDisposable
{
    private readonly TestBackend _server;
    private readonly CancellationTokenSource _stop = new();
    private volatile Func<string, Stream, CancellationToken, Task> _respond;

    /// <param name="certificate">Serve HTTPS with this certificate; null for plain HTTP.</param>
    public TinyHttpServer(X509Certificate2? certificate = null)
    {
        var ok = Ok("text/plain; version=0.0.4", "up 1\n");
        _respond = (_, stream, stop) => ok(stream, stop);
        _server = TestBackend.Start(async socket =>
        {
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (certificate is not null)
            {
                var tls = new SslStream(stream);
                await tls.AuthenticateAsServerAsync(certificate);
                stream = tls;
            }

            await using (stream)
            {
                var head = await ReadHeadAsync(stream, _stop.Token);
                Requests.Enqueue(head);
                await _respond(head, stream, _stop.Token);
            }
        });
    }

    /// <summary>A self-signed certificate for "localhost", which no client trusts.</summary>
    public static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>Request heads in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public int Connections => _server.Total;

    public void Respond(Func<Stream, CancellationToken, Task> respond) => _respond = (_, stream, stop) => respond(stream, stop);

    /// <summary>Answers by the request's head (its path and query).</summary>
    public void Respond(Func<string, Stream, CancellationToken, Task> respond) => _respond = respond;

    public static Func<Stream, CancellationToken, Task> Ok(string contentType, string body) => Raw(Head(200, contentType, Encoding.UTF8.GetByteCount(body)) + body);

    public static Func<Stream, CancellationToken, Task> Raw(string response) => async (stream, stop) =>
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(response), stop);
        await stream.FlushAsync(stop);
    };

    public static string Head(int status, string contentType, long? contentLength) =>
        $"HTTP/1.1 {status} X\r\nContent-Type: {contentType}\r\n{(contentLength is { } n ? $"Content-Length: {n}\r\n" : "")}Connection: close\r\n\r\n";

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken stop)
    {
        var head = new StringBuilder();
        var buffer = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(buffer, stop) == 0)
            {
                break;
            }

            head.Append((char)buffer[0]);
        }

        return head.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _server.DisposeAsync();
    }
}
