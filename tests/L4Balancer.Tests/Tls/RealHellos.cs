using System.Net.Security;
using L4Balancer.Core.Tls;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.Tests.Tls;

/// <summary>
/// Captured ClientHellos: openssl s_client ones (<see cref="CapturedHellos"/>, committed in
/// L4Balancer.TestSupport), and .NET SslStream ones recorded afresh on every run, so a change in
/// the platform's TLS stack shows up here first.
/// </summary>
internal static class RealHellos
{
    private static readonly Lazy<IReadOnlyDictionary<string, RealHello>> Catalog = new(Load);

    public static IReadOnlyDictionary<string, RealHello> All => Catalog.Value;

    public static TheoryData<string> Names => [.. All.Keys];

    public static RealHello Get(string name) => All[name];

    /// <summary>Runs an SslStream client handshake into a recorder and returns its first flight.</summary>
    public static byte[] FromSslStream(string targetHost)
    {
        var recorder = new FirstFlightRecorder();
        using var ssl = new SslStream(recorder);
        try
        {
            ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
            {
                TargetHost = targetHost,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
        }
        catch (IOException)
        {
            // Expected: the recorder refuses to read the (nonexistent) server's reply.
        }

        return recorder.Written;
    }

    private static IReadOnlyDictionary<string, RealHello> Load()
    {
        RealHello[] hellos =
        [
            new("openssl-sni", CapturedHellos.Load("openssl-sni"), ClientHelloResult.Sni, "llm.acme.example"),
            new("openssl-nosni", CapturedHellos.Load("openssl-nosni"), ClientHelloResult.NoSni, null),
            new("openssl-tls12", CapturedHellos.Load("openssl-tls12"), ClientHelloResult.Sni, "api.tenant-b.example"),
            new("openssl-big", CapturedHellos.Load("openssl-big"), ClientHelloResult.Sni, "big.acme.example"),
            new("dotnet-llm", FromSslStream("llm.acme.example"), ClientHelloResult.Sni, "llm.acme.example"),
            new("dotnet-mixed-case", FromSslStream("API.Acme.Example"), ClientHelloResult.Sni, "api.acme.example"),
            new("dotnet-deep", FromSslStream("a.b.c.d.e.f.g.deep.example"), ClientHelloResult.Sni, "a.b.c.d.e.f.g.deep.example"),
            new("dotnet-punycode", FromSslStream("xn--bcher-kva.example"), ClientHelloResult.Sni, "xn--bcher-kva.example"),
            // RFC 6066 forbids IP literals in server_name, so SslStream leaves the extension out.
            new("dotnet-ip", FromSslStream("127.0.0.1"), ClientHelloResult.NoSni, null),
        ];
        return hellos.ToDictionary(h => h.Name);
    }
}
