using System.Net;
using System.Net.Sockets;
using System.Text;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.IntegrationTests.Tls;

/// <summary>
/// More than the relay's 64 KiB pause threshold arriving at once on an sni listener, where the peek
/// consumes nothing: the rejection must still end the session (issue 11's fuzz found sessions left
/// open for good, each holding its per-IP slot and its pipe buffers).
/// </summary>
public class OversizedInputTests
{
    private static readonly IPAddress Client = IPAddress.Parse("127.0.0.9");

    public static TheoryData<string> Inputs => ["100 KiB of non-TLS bytes", "handshake claiming 80 KiB", "record claiming 65535 bytes, 70 KiB sent"];

    [Theory]
    [MemberData(nameof(Inputs))]
    public async Task Rejected_oversized_input_ends_its_session_and_gives_back_the_per_ip_slot(string kind)
    {
        await using var tenants = SniTenantSet.Start(TestBackend.Named);
        // Drain 0: a session that never ends must not hold the harness's stop for the default 5 minutes.
        var config = tenants.Config(global: g => g with { MaxConnectionsPerIp = 1, DrainTimeout = TimeSpan.Zero });
        await using var balancer = await BalancerHarness.StartAsync(config);
        var deadline = Deadline.After();

        // Several in a row from one address: with a per-IP limit of 1, each needs the last one's slot.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using (var client = await balancer.ConnectAsync(from: Client))
            {
                try
                {
                    await client.SendAllAsync(Build(kind), deadline);
                }
                catch (SocketException)
                {
                    // rejected while still writing: fine
                }

                Assert.Contains(await client.WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });
            }

            // The client saw the close; the session must be gone too (on the current code it is not:
            // its receive loop waits in FlushAsync above the pause threshold, and the rejection waits for it).
            await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, TimeSpan.FromSeconds(5),
                $"attempt {attempt}: the rejected session to end after the client saw its close");
        }

        Assert.Equal(5, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", CloseReason.NotTls));
        Assert.Equal(0, balancer.Engine.Rejections.Get(TestConfigs.ListenerName, "", CloseReason.PerIpLimit));

        // And the address is still served.
        using var honest = await balancer.ConnectAsync(from: Client);
        var hello = new ClientHelloBuilder().Build(); // llm.acme.example
        await honest.SendAllAsync(hello, deadline);
        honest.Shutdown(SocketShutdown.Send);
        var answer = await honest.ReadToEndAsync(deadline);
        Assert.Equal(Encoding.ASCII.GetBytes("acme\n").Concat(hello), answer);
    }

    private static byte[] Build(string kind)
    {
        switch (kind)
        {
            case "100 KiB of non-TLS bytes":
                var garbage = new byte[100 * 1024];
                new Random(11).NextBytes(garbage);
                garbage[0] = (byte)'G';
                return garbage;
            case "handshake claiming 80 KiB":
                return new ClientHelloBuilder { CipherSuiteCount = 20_000, MessageSize = 80 * 1024 }.Build();
            case "record claiming 65535 bytes, 70 KiB sent":
                var message = new ClientHelloBuilder { CipherSuiteCount = 20_000, MessageSize = 70 * 1024 }.BuildMessage();
                return [0x16, 0x03, 0x01, 0xFF, 0xFF, .. message];
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
