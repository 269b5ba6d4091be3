using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Health;

/// <summary>
/// Issue 17, item 6, through the engine's data path: a backend whose name does not resolve takes no
/// connection (none fails on it), and once a later lookup answers it serves like the others.
/// </summary>
public class UnresolvedBackendTests
{
    private static async Task<string> FirstLineAsync(BalancerHarness balancer)
    {
        using var client = await balancer.ConnectAsync();
        return await client.ReadLineAsync(Deadline.After());
    }

    [Fact]
    public async Task Traffic_skips_it_until_a_lookup_answers_then_it_serves()
    {
        await using var late = TestBackend.Named("late");
        await using var steady = TestBackend.Named("steady");
        var answers = 0;
        var resolves = false;
        Task<IPAddress[]> Lookup(string host, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref answers);
            return host == "late.test" && Volatile.Read(ref resolves)
                ? Task.FromResult(new[] { IPAddress.Loopback })
                : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
        }

        var unresolved = new BackendConfig { Address = $"late.test:{late.EndPoint.Port}", EndPoint = null, Host = "late.test", Port = late.EndPoint.Port, ResolveError = "Name or service not known" };
        var config = TestConfigs.PortRouted(
            [unresolved, TestConfigs.Backend(steady)],
            t => t with { Balance = BalanceAlgorithm.RoundRobin },
            g => g with { ResolveInterval = TimeSpan.FromMilliseconds(100) });
        await using var balancer = await BalancerHarness.StartAsync(config, resolveHost: Lookup);
        var backend = balancer.Engine.Current.Tenants[TestConfigs.TenantName].FindBackend(unresolved.Address)!;

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("steady", await FirstLineAsync(balancer));
        }

        Assert.Equal(0, late.Total);
        Assert.Equal(0, backend.ConnectFailures); // never tried, so never failed
        await Deadline.UntilAsync(() => Volatile.Read(ref answers) >= 2, because: "looked up again every resolve_interval");
        Assert.False(backend.IsResolved);

        Volatile.Write(ref resolves, true);
        await Deadline.UntilAsync(() => backend.IsResolved, because: "the next lookup answers");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, late.EndPoint.Port), backend.EndPoint);
        Assert.Contains(balancer.Logs.Entries, e => e.Message == $"tenant {TestConfigs.TenantName}: backend {unresolved.Address} resolves to {backend.EndPoint}: back in rotation");

        var seen = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            seen.Add(await FirstLineAsync(balancer));
        }

        Assert.Equal(["late", "steady"], seen.Order());
    }
}
