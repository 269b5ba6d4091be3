using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Model;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Limits;

/// <summary>
/// SPEC "Limits": one tenant exhausting its limits must not change another tenant's service. Tenant A
/// floods the shared sni listener far past its max_connections and connection_rate and parks
/// slow-loris hellos; tenant B's clients, on the same listener at the same time, are all served.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public class NoisyNeighbourTests
{
    private static readonly IPAddress LorisSource = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress FloodSource = IPAddress.Parse("127.0.0.4");
    private static readonly TimeSpan BDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Tenant_b_is_served_while_tenant_a_floods_past_its_limits_and_parks_slow_loris_hellos()
    {
        const int LorisCount = 100, LorisPerIp = 8, FloodBurst = 200, BRequests = 40;
        await using var a = TestBackend.Named("a");
        await using var b = TestBackend.Named("b");
        var config = LimitConfigs.Sni(new Dictionary<string, TestBackend> { ["a"] = a, ["b"] = b },
            global: g => g with
            {
                MaxConnectionsPerIp = 50,
                MaxPendingHandshakes = 256, // above everyone's per-IP bounds together: this test is about those
                MaxPendingHandshakesPerIp = LorisPerIp,
                ClientHelloTimeout = TimeSpan.FromSeconds(60), // the slow lorises stay for the whole test
            },
            tenant: t => t.Name == "a" ? t with { MaxConnections = 5, ConnectionRate = 10, ConnectionBurst = 10 } : t);
        await using var balancer = await BalancerHarness.StartAsync(config);
        var endPoint = balancer.EndPoint();
        var deadline = Deadline.After(TimeSpan.FromSeconds(60));
        var helloA = LimitConfigs.Hello("a");
        var sockets = new List<Socket>();
        var crowds = new List<Crowd>();
        using var stopFlood = new CancellationTokenSource();
        try
        {
            // A's slow lorises: the first 20 bytes of a hello, then nothing.
            var lorises = await Crowd.OpenAsync(endPoint, LorisCount, LorisSource, deadline);
            sockets.AddRange(lorises);
            foreach (var loris in lorises)
            {
                try
                {
                    await loris.SendAllAsync(helloA.AsMemory(0, 20), deadline);
                }
                catch (SocketException)
                {
                    // Already refused (per_ip_limit): fine.
                }
            }

            // A's flood: 200 at once from 40 addresses (5 each, so no per-IP bound is what stops them),
            // the admitted ones held open; then more attempts all along.
            var burst = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
                Crowd.ArriveAsync(endPoint, FloodBurst / 40, IPAddress.Parse($"127.0.1.{i + 1}"), helloA, deadline)));
            crowds.AddRange(burst);
            var flooders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (!stopFlood.IsCancellationRequested)
                {
                    using var more = await Crowd.ArriveAsync(endPoint, 10, FloodSource, helloA, deadline);
                }
            })).ToArray();

            // B, meanwhile, on the same listener: every request served within its deadline. B's clients
            // have addresses of their own (as a tenant's users do), all at once.
            var bResults = await Task.WhenAll(Enumerable.Range(0, BRequests).Select(async i =>
            {
                await Task.Yield();
                var watch = Stopwatch.StartNew();
                using var own = CancellationTokenSource.CreateLinkedTokenSource(deadline);
                own.CancelAfter(BDeadline);
                using var client = await SocketExtensions.ConnectToAsync(endPoint, IPAddress.Parse($"127.0.2.{i + 1}"), own.Token);
                await client.SendAllAsync(LimitConfigs.Hello("b"), own.Token);
                var greeting = await client.ReadLineAsync(own.Token);
                return (greeting, watch.Elapsed);
            }));

            await stopFlood.CancelAsync();
            await Task.WhenAll(flooders).WaitAsync(deadline);

            Assert.All(bResults, r => Assert.Equal("b", r.greeting));
            Assert.All(bResults, r => Assert.True(r.Elapsed < BDeadline, $"a B request took {r.Elapsed}"));
            Assert.Equal(BRequests, b.Total);
            Assert.DoesNotContain(balancer.Engine.Rejections.Snapshot(), r => r.Tenant == "b");

            // A was held to its limits, and refused under their reasons.
            var rejections = balancer.Engine.Rejections;
            Assert.Equal(5, burst.Sum(c => c.Admitted.Count));
            Assert.True(a.Total <= 10 + 10 * 60, $"tenant a admitted {a.Total}"); // burst + rate × test time at most
            Assert.Equal(LorisPerIp, balancer.Engine.Limits.PendingHandshakesPerIp.CountFor(LorisSource));
            Assert.True(rejections.Get(TestConfigs.ListenerName, "", CloseReason.PerIpLimit) >= LorisCount - LorisPerIp);
            Assert.True(rejections.Get(TestConfigs.ListenerName, "a", CloseReason.TenantLimit) + rejections.Get(TestConfigs.ListenerName, "a", CloseReason.RateLimited) >= FloodBurst - 5);
            Assert.Equal(LorisPerIp, lorises.Count(s => !Crowd.IsClosedByPeer(s)));
        }
        finally
        {
            await stopFlood.CancelAsync();
            sockets.ForEach(s => s.Dispose());
            crowds.ForEach(c => c.Dispose());
        }
    }
}
