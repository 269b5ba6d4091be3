using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Runtime;

/// <summary>A snapshot's <c>least_load</c> policy runs on the engine's clock, and reports survive a reload with their backends.</summary>
public class SnapshotBuilderLeastLoadTests
{
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private static BalancerConfig Config(TimeSpan staleAfter, params int[] ports) => new()
    {
        Tenants =
        [
            new TenantConfig
            {
                Name = "t",
                Balance = BalanceAlgorithm.LeastLoad,
                Feedback = new FeedbackConfig { Source = FeedbackSource.Prometheus, StaleAfter = staleAfter },
                Backends = ports.Select(p => new BackendConfig { Address = $"127.0.0.1:{p}", EndPoint = new IPEndPoint(IPAddress.Loopback, p) }).ToArray(),
            },
        ],
    };

    [Fact]
    public void The_policy_ages_reports_on_the_engines_clock_and_a_reload_keeps_them()
    {
        var time = new FakeTimeProvider();
        var store = new StateStore();
        var first = SnapshotBuilder.Build(Config(TimeSpan.FromSeconds(3), 1, 2), 1, store, time);
        store.Commit(first);
        var tenant = first.Tenants["t"];
        var (idle, queued) = (tenant.Backends[0], tenant.Backends[1]);
        Assert.True(idle.TryAcquire());
        queued.SetReport(new BackendReport(time.GetTimestamp(), 4, null, null, AgentState.None, null));

        Assert.IsType<LeastLoadPolicy>(tenant.Policy);
        Assert.Same(idle, tenant.Policy.Pick(tenant.Backends, None)); // 1 < 0 + 4

        // A reload with a longer stale_after: same backend states, same report, a new policy.
        var next = SnapshotBuilder.Build(Config(TimeSpan.FromSeconds(10), 1, 2), 2, store, time);
        store.Commit(next);
        var reloaded = next.Tenants["t"];
        Assert.Same(queued, reloaded.Backends[1]);
        time.Advance(TimeSpan.FromSeconds(5)); // stale for the old policy, fresh for the new
        Assert.Same(queued, first.Tenants["t"].Policy.Pick(reloaded.Backends, None));
        Assert.Same(idle, reloaded.Policy.Pick(reloaded.Backends, None));

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Same(queued, reloaded.Policy.Pick(reloaded.Backends, None));
    }
}
