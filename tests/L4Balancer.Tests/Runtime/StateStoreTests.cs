using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Runtime;

namespace L4Balancer.Tests.Runtime;

public class StateStoreTests
{
    private static BackendConfig Backend(int port, int weight = 1) =>
        new() { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Weight = weight };

    private static BalancerConfig Config(params BackendConfig[] backends) =>
        new() { Tenants = [new TenantConfig { Name = "t", Backends = backends }] };

    private static RuntimeSnapshot Commit(StateStore store, BalancerConfig config, long generation)
    {
        var snapshot = SnapshotBuilder.Build(config, generation, store, TimeProvider.System);
        store.Commit(snapshot);
        return snapshot;
    }

    [Fact]
    public void Building_a_snapshot_changes_nothing_until_it_is_committed()
    {
        var store = new StateStore();
        var first = Commit(store, Config(Backend(1)), 1);
        var a = first.Tenants["t"].Backends[0];

        // A reload whose listeners then fail to bind: built, never committed.
        var next = SnapshotBuilder.Build(Config(Backend(1, weight: 5), Backend(2)), 2, store, TimeProvider.System);

        Assert.Same(a, next.Tenants["t"].Backends[0]);
        Assert.Equal(1, a.Weight);
        Assert.Single(store.AllBackends);

        store.Commit(next);
        Assert.Equal(5, a.Weight);
        Assert.Equal(2, store.AllBackends.Count());
    }

    [Fact]
    public void Kept_backends_keep_counters_health_and_drain()
    {
        var store = new StateStore();
        var a = Commit(store, Config(Backend(1), Backend(2)), 1).Tenants["t"].Backends[0];
        Assert.True(a.TryAcquire());
        a.Release();
        a.RecordConnectFailure();
        a.SetUp(false);
        a.SetDraining(true);

        var after = Commit(store, Config(Backend(1), Backend(3)), 2).Tenants["t"].Backends[0];

        Assert.Same(a, after);
        Assert.Equal(1, after.TotalConnections);
        Assert.Equal(1, after.ConnectFailures);
        Assert.False(after.IsUp);
        Assert.True(after.IsDraining);
    }

    [Fact]
    public void A_removed_backend_with_connections_is_kept_as_removed_and_resumes_if_it_returns()
    {
        var store = new StateStore();
        var b = Commit(store, Config(Backend(1), Backend(2)), 1).Tenants["t"].Backends[1];
        Assert.True(b.TryAcquire()); // a long stream still open

        Commit(store, Config(Backend(1)), 2);
        Assert.True(b.IsRemoved);
        Assert.False(b.IsAvailable);
        Assert.Contains(b, store.AllBackends);

        var back = Commit(store, Config(Backend(1), Backend(2)), 3).Tenants["t"].Backends[1];
        Assert.Same(b, back);
        Assert.False(back.IsRemoved);
        Assert.Equal(1, back.ActiveConnections); // least connections still sees the open stream
    }

    [Fact]
    public void A_removed_backend_is_forgotten_by_the_first_commit_that_finds_it_idle()
    {
        var store = new StateStore();
        var b = Commit(store, Config(Backend(1), Backend(2)), 1).Tenants["t"].Backends[1];
        Assert.True(b.TryAcquire());
        b.SetDraining(true);
        Commit(store, Config(Backend(1)), 2);
        b.Release(); // its last connection ends

        Commit(store, Config(Backend(1)), 3);
        Assert.DoesNotContain(b, store.AllBackends);

        var fresh = Commit(store, Config(Backend(1), Backend(2)), 4).Tenants["t"].Backends[1];
        Assert.NotSame(b, fresh);
        Assert.False(fresh.IsDraining);
        Assert.Equal(0, fresh.TotalConnections);
    }
}
