using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// Every slot a session takes (process, per IP, pending handshake, tenant) is given back exactly
/// once, whichever way it ends: a leak would refuse connections forever, a double release would let
/// the limit be passed. After each ending the counts are back to zero and no per-IP entry remains.
/// </summary>
public class SlotReleaseTests
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Slots_are_released_however_a_session_ends()
    {
        var time = new FakeTimeProvider();
        await using var acme = TestBackend.Named("acme");
        await using var down = TestBackend.Named("down"); // replaced by a closed port below
        var config = LimitConfigs.Sni(new Dictionary<string, TestBackend> { ["acme"] = acme, ["down"] = down },
            global: g => g with { MaxConnections = 1000, MaxConnectionsPerIp = 1000, ClientHelloTimeout = HelloTimeout, DrainTimeout = TimeSpan.FromMilliseconds(200) },
            tenant: t => t with { MaxConnections = 1, ConnectionRate = 1000, Retries = 0 });
        config = config with
        {
            Tenants = [.. config.Tenants.Select(t => t.Name == "down" ? t with { Backends = [TestConfigs.Backend(TestConfigs.ClosedPort())] } : t)],
        };
        await using var balancer = await BalancerHarness.StartAsync(config, time);
        var endPoint = balancer.EndPoint();
        var deadline = Deadline.After();

        // Relayed and closed by the client.
        using (var served = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("acme")))
        {
            Assert.Single(served.Admitted);

            // Refused for the tenant's max_connections while the first one is open.
            using var second = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("acme"));
            Assert.Empty(second.Admitted);
        }

        await Slots.AssertAllReleasedAsync(balancer);

        // The backend refuses the connect: no_backend after the tenant slot was taken.
        using (var refused = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("down")))
        {
            Assert.Empty(refused.Admitted);
        }

        // Not TLS, an unclaimed name, a client that resets in the middle of its hello, and one whose
        // hello never completes: all end while holding a pending-handshake slot.
        using (var garbage = await Crowd.ArriveAsync(endPoint, 1, hello: "GET / HTTP/1.1\r\n\r\n"u8.ToArray()))
        using (var unknown = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("nobody")))
        {
            Assert.Empty(garbage.Admitted);
            Assert.Empty(unknown.Admitted);
        }

        var resetter = await balancer.ConnectAsync();
        await resetter.SendAllAsync(LimitConfigs.Hello("acme").AsMemory(0, 20), deadline);
        ConnectionFlow? resetSession = null;
        await Deadline.UntilAsync(
            () => (resetSession = balancer.Engine.Connections.Enumerate().FirstOrDefault(s => s.BytesClientToBackend == 20)) is not null,
            because: "the balancer to be peeking");
        resetter.Reset();

        // Finished before the next client, whose own wait below looks for a session with 20 bytes too.
        // The reset normally ends the session as client_reset (not a rejection). Should the kernel hand
        // the balancer's receive an end of stream instead of ECONNRESET, it ends as a truncated hello:
        // not_tls, counted. Either way its slots must come back, which is what this test is about.
        await Deadline.UntilAsync(() => !balancer.Engine.Connections.Enumerate().Contains(resetSession!), because: "the reset session to finish");
        Assert.True(resetSession!.Reason is CloseReason.ClientReset or CloseReason.NotTls, $"reset mid-hello ended as {resetSession.Reason}");
        var resetCountedAsNotTls = resetSession.Reason == CloseReason.NotTls ? 1 : 0;

        using var loris = await balancer.ConnectAsync();
        await loris.SendAllAsync(LimitConfigs.Hello("acme").AsMemory(0, 20), deadline);
        await Deadline.UntilAsync(() => balancer.Engine.Connections.Enumerate().Any(s => s.BytesClientToBackend == 20), because: "the balancer to be peeking");
        time.Advance(HelloTimeout);
        Assert.Contains(await loris.WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });

        await Slots.AssertAllReleasedAsync(balancer);
        var rejections = balancer.Engine.Rejections;
        Assert.Equal(1, rejections.Get(TestConfigs.ListenerName, "acme", CloseReason.TenantLimit));
        Assert.Equal(1, rejections.Get(TestConfigs.ListenerName, "down", CloseReason.NoBackend));
        Assert.True(
            rejections.Get(TestConfigs.ListenerName, "", CloseReason.NotTls) == 1 + resetCountedAsNotTls,
            $"not_tls: {rejections.Get(TestConfigs.ListenerName, "", CloseReason.NotTls)}, expected {1 + resetCountedAsNotTls}; access log:\n{string.Join('\n', balancer.AccessLog)}");
        Assert.Equal(1, rejections.Get(TestConfigs.ListenerName, "", CloseReason.UnknownSni));
        Assert.Equal(1, rejections.Get(TestConfigs.ListenerName, "", CloseReason.HelloTimeout));
        var resetEnd = $"conn={resetSession.Id} ";
        await Deadline.UntilAsync(() => balancer.AccessLog.Any(l => l.StartsWith(resetEnd, StringComparison.Ordinal) && l.Contains($"end={resetSession.Reason.ToWireName()}")), because: "the reset client's access-log record");

        // Reset by the backend in the middle of the relay, and reset by the client.
        using (var relayed = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("acme")))
        {
            Assert.Single(relayed.Admitted);
            acme.ResetAll();
            Assert.Contains(await relayed.Admitted[0].WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });
        }

        await Slots.AssertAllReleasedAsync(balancer);
        using (var relayed = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("acme")))
        {
            relayed.Admitted[0].Reset();
        }

        await Slots.AssertAllReleasedAsync(balancer);

        // Drained at shutdown in the middle of the relay.
        using (var open = await Crowd.ArriveAsync(endPoint, 1, hello: LimitConfigs.Hello("acme")))
        {
            Assert.Single(open.Admitted);
            await balancer.Engine.StopAsync().WaitAsync(deadline);
            Assert.Contains(await open.Admitted[0].WaitForCloseAsync(deadline), new[] { SocketError.Success, SocketError.ConnectionReset });
        }

        await Slots.AssertAllReleasedAsync(balancer);
        Assert.Contains(balancer.AccessLog, l => l.Contains("end=drained"));
        Assert.Contains(balancer.AccessLog, l => l.Contains("end=backend_reset"));
    }
}
