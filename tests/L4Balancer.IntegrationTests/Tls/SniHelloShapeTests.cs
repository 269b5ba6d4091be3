using System.Net.Sockets;
using System.Text;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// ClientHellos in the awkward shapes SPEC names (1-byte segments, several records, bigger than a
/// record), through the real balancer: the peek must route them, and must consume nothing.
/// </summary>
public class SniHelloShapeTests
{
    [Fact]
    public async Task Real_handshake_whose_first_4_KiB_go_out_one_byte_per_send()
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config());

        // The whole ClientHello (and the client's second flight) goes out one byte per send, so the peek
        // sees it grow a byte at a time; the handshake must then complete through the balancer.
        var exchange = await TlsClient.ExchangeAsync(balancer.EndPoint(), "llm.acme.example", wrap: s => new TrickleStream(s, 4096));

        Assert.Equal(("acme", "acme", true), (exchange.CertificateName, exchange.Greeting, exchange.Echoed));
        Assert.Equal(1, tenants.TotalAccepted);
    }

    public static TheoryData<string> Shapes =>
    [
        "synthetic: 3 records",
        "synthetic: 31 records of 5 bytes and the rest",
        "synthetic: 16 KiB of padding, 2 records",
        "synthetic: 60 KiB, 4 records (near the 64 KiB limit)",
        "synthetic: upper case, trailing dot",
        "openssl: default hello",
        "openssl: 2 records (20 KiB ALPN list)",
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Raw_hello_reaches_the_right_backend_byte_for_byte(string shape)
    {
        var (hello, tenant) = Build(shape);
        var recorders = SniTenantSet.Tenants.ToDictionary(t => t.Name, _ => new RecordingBackend());
        await using var tenants = SniTenantSet.Start(name => recorders[name].Start());
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config());
        var deadline = Deadline.After();

        // The hello, then application bytes right behind it, in uneven pieces; then FIN.
        var sent = hello.Concat(Encoding.ASCII.GetBytes("first bytes after the hello\n")).ToArray();
        using var client = await balancer.ConnectAsync();
        var random = new Random(shape.Length);
        for (var offset = 0; offset < sent.Length;)
        {
            var n = Math.Min(random.Next(1, 1500), sent.Length - offset);
            await client.SendAllAsync(sent.AsMemory(offset, n), deadline);
            offset += n;
            await Task.Yield();
        }

        client.Shutdown(SocketShutdown.Send);

        var received = await recorders[tenant].NextAsync(deadline);
        Assert.Equal(sent.Length, received.Length);
        Assert.True(sent.AsSpan().SequenceEqual(received), "the backend must receive exactly what the client sent");
        Assert.Equal(SocketError.Success, await client.WaitForCloseAsync(deadline));
        Assert.Equal(1, tenants.Backends[tenant].Total);
        Assert.Equal(1, tenants.TotalAccepted);
    }

    private static (byte[] Hello, string Tenant) Build(string shape) => shape switch
    {
        "synthetic: 3 records" => (Synthetic("foo.acme.example", b => b.Records = 3), "acme"),
        "synthetic: 31 records of 5 bytes and the rest" => (Synthetic("a.b.deep.acme.example", b => b.RecordSizes = [.. Enumerable.Repeat(5, 30)]), "deep"),
        "synthetic: 16 KiB of padding, 2 records" => (Synthetic("api.beta.example", b => b.MessageSize = 16 * 1024 + 600), "beta"),
        "synthetic: 60 KiB, 4 records (near the 64 KiB limit)" => (Synthetic("big.acme.example", b => b.MessageSize = 60 * 1024), "acme"),
        "synthetic: upper case, trailing dot" => (Synthetic("X.ACME.EXAMPLE.", _ => { }), "special"),
        "openssl: default hello" => (CapturedHellos.Load("openssl-sni"), "acme"),              // llm.acme.example
        "openssl: 2 records (20 KiB ALPN list)" => (CapturedHellos.Load("openssl-big"), "acme"), // big.acme.example
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    private static byte[] Synthetic(string serverName, Action<ClientHelloBuilder> shape)
    {
        var builder = new ClientHelloBuilder();
        builder.ServerNames.Clear();
        builder.ServerNames.Add(serverName);
        shape(builder);
        return builder.Build();
    }
}
