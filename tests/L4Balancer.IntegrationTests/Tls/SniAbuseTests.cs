using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// Clients that never send a usable ClientHello: each is closed, counted by reason, and no backend
/// ever sees one of their bytes; meanwhile honest clients on the same listener keep being served.
/// </summary>
public class SniAbuseTests
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(1);

    private static long Rejected(BalancerHarness balancer, CloseReason reason) =>
        balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", reason);

    private static byte[] ValidHello() => new ClientHelloBuilder().Build(); // llm.acme.example

    [Fact]
    public async Task Http_request_on_the_tls_port_is_closed_and_counted_not_tls()
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(fallback: "beta"));
        using var client = await balancer.ConnectAsync();

        await client.SendTextAsync("GET / HTTP/1.1\r\n\r\n", Deadline.After());

        Assert.Contains(await client.WaitForCloseAsync(Deadline.After()), new[] { SocketError.Success, SocketError.ConnectionReset });
        Assert.Equal(1, Rejected(balancer, CloseReason.NotTls));
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=not_tls")), because: "the rejection's access-log record");
        Assert.Equal(0, tenants.TotalAccepted); // not even the fallback tenant
    }

    public static TheoryData<string> BrokenHellos =>
    [
        "cut short by FIN",
        "larger than 64 KiB",
        "handshake type is not ClientHello",
    ];

    [Theory]
    [MemberData(nameof(BrokenHellos))]
    public async Task Broken_hello_is_closed_and_counted_not_tls(string kind)
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(fallback: "beta"));
        var deadline = Deadline.After();
        using var client = await balancer.ConnectAsync();

        var hello = ValidHello();
        switch (kind)
        {
            case "cut short by FIN":
                await client.SendAllAsync(hello.AsMemory(0, hello.Length / 2), deadline);
                client.Shutdown(SocketShutdown.Send);
                break;
            case "larger than 64 KiB":
                // The balancer may close while this is still being written: a failed send is fine.
                // (The extension block tops out at 64 KiB, so the bulk is a huge cipher suite list.)
                var big = new ClientHelloBuilder { CipherSuiteCount = 20_000, MessageSize = 80 * 1024 }.Build();
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await client.SendAllAsync(big, deadline);
                    }
                    catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                });
                break;
            case "handshake type is not ClientHello":
                hello[5] = 2; // ServerHello
                await client.SendAllAsync(hello, deadline);
                break;
        }

        Assert.Contains(await client.WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });
        Assert.Equal(1, Rejected(balancer, CloseReason.NotTls));
        Assert.Equal(0, tenants.TotalAccepted);
    }

    [Fact]
    public async Task Slow_loris_hello_is_closed_at_client_hello_timeout_and_counted_while_others_are_served()
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(global: g => g with { ClientHelloTimeout = HelloTimeout }));
        var deadline = Deadline.After();

        using var slow = await balancer.ConnectAsync();
        await slow.SendAllAsync(ValidHello().AsMemory(0, 20), deadline);
        var served = await TlsClient.ExchangeAsync(balancer.EndPoint(), "api.beta.example");

        Assert.Contains(await slow.WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });
        Assert.Equal(("beta", "beta", true), (served.CertificateName, served.Greeting, served.Echoed));
        Assert.Equal(1, Rejected(balancer, CloseReason.HelloTimeout));
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.Contains("end=hello_timeout")), because: "the rejection's access-log record");
        Assert.Equal(1, tenants.TotalAccepted); // the honest client only
    }

    [Fact]
    public async Task Client_that_resets_during_the_hello_ends_as_client_reset_and_is_not_counted_as_a_rejection()
    {
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(), new FakeTimeProvider()); // no hello timeout
        var client = await balancer.ConnectAsync();
        await client.SendAllAsync(ValidHello().AsMemory(0, 20), Deadline.After());
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Enumerate().Any(s => s.BytesClientToBackend == 20), because: "the balancer to be peeking");

        client.Reset();

        await Deadline.UntilAsync(() => balancer.AccessLog.Any(), because: "the session's access-log record");
        Assert.Contains("end=client_reset", Assert.Single(balancer.AccessLog));
        Assert.Empty(balancer.Engine.Rejections.Snapshot()); // SPEC's rejection reasons do not include client_reset
        Assert.Equal(0, tenants.TotalAccepted);
    }

    [Fact]
    public async Task Client_drained_during_the_hello_ends_as_drained_and_is_not_counted_as_a_rejection()
    {
        await using var tenants = SniTenantSet.StartTls();
        var config = tenants.Config(global: g => g with { DrainTimeout = TimeSpan.FromMilliseconds(100) });
        await using var balancer = await BalancerHarness.StartAsync(config, new FakeTimeProvider()); // no hello timeout
        using var client = await balancer.ConnectAsync();
        await client.SendAllAsync(ValidHello().AsMemory(0, 20), Deadline.After());
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Enumerate().Any(s => s.BytesClientToBackend == 20), because: "the balancer to be peeking");

        await balancer.Engine.StopAsync().WaitAsync(Deadline.After());

        Assert.Contains(await client.WaitForCloseAsync(Deadline.After()), new[] { SocketError.Success, SocketError.ConnectionReset });
        Assert.Contains("end=drained", Assert.Single(balancer.AccessLog));
        Assert.Empty(balancer.Engine.Rejections.Snapshot());
        Assert.Equal(0, tenants.TotalAccepted);
    }

    [Fact]
    public async Task Honest_clients_are_served_while_slow_lorises_hang_and_garbage_is_rejected()
    {
        // Fake time: the slow clients provably stay open (their timeout cannot fire) until the test
        // moves the clock, so "served while they are open" is a fact, not a race.
        var time = new FakeTimeProvider();
        await using var tenants = SniTenantSet.StartTls();
        await using var balancer = await BalancerHarness.StartAsync(tenants.Config(global: g => g with { ClientHelloTimeout = HelloTimeout }), time);
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));
        const int SlowCount = 16, GarbageCount = 16, HonestCount = 6;

        var slow = new List<Socket>();
        try
        {
            for (var i = 0; i < SlowCount; i++)
            {
                var socket = await balancer.ConnectAsync();
                slow.Add(socket);
                await socket.SendAllAsync(ValidHello().AsMemory(0, 20), deadline);
            }

            var garbage = Enumerable.Range(0, GarbageCount).Select(async _ =>
            {
                using var socket = await balancer.ConnectAsync();
                await socket.SendTextAsync("GET / HTTP/1.1\r\n\r\n", deadline);
                return await socket.WaitForCloseAsync(deadline);
            }).ToArray();
            string[] names = ["llm.acme.example", "api.beta.example", "x.acme.example"];
            var honest = Enumerable.Range(0, HonestCount).Select(i => TlsClient.ExchangeAsync(balancer.EndPoint(), names[i % names.Length])).ToArray();

            var exchanges = await Task.WhenAll(honest).WaitAsync(deadline);
            Assert.All(await Task.WhenAll(garbage).WaitAsync(deadline), end => Assert.Contains(end, new[] { SocketError.Success, SocketError.ConnectionReset }));

            Assert.Equal(["acme", "beta", "special", "acme", "beta", "special"], exchanges.Select(e => e.Greeting));
            Assert.Equal(["acme", "beta", "special", "acme", "beta", "special"], exchanges.Select(e => e.CertificateName));
            Assert.All(exchanges, e => Assert.True(e.Echoed));
            Assert.Equal(GarbageCount, Rejected(balancer, CloseReason.NotTls));

            // Every slow client is still connected: not readable means no FIN and no reset arrived.
            Assert.Equal(0, Rejected(balancer, CloseReason.HelloTimeout));
            Assert.All(slow, s => Assert.False(s.Poll(0, SelectMode.SelectRead), "a slow client was closed before its hello timeout"));

            // Now let their client_hello_timeout pass.
            await Deadline.UntilAsync(() =>
            {
                time.Advance(HelloTimeout);
                return Rejected(balancer, CloseReason.HelloTimeout) == SlowCount;
            }, because: "every slow client timed out");
            foreach (var socket in slow)
            {
                Assert.Contains(await socket.WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });
            }

            // The backends saw the honest connections and nothing else.
            Assert.Equal(HonestCount, tenants.TotalAccepted);
            Assert.Equal(0, tenants.Backends["deep"].Total);
        }
        finally
        {
            foreach (var socket in slow)
            {
                socket.Dispose();
            }
        }
    }
}
