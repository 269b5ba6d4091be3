using L4Balancer.Core.Balancing;
using L4Balancer.Core.Cluster;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Cluster;

/// <summary>
/// The member's timing and failure handling against a fake store on a fake clock: leases held while
/// valid, the fallback once they expire, recovery, and drains kept while Redis is away.
/// </summary>
public sealed class ClusterMemberTests : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();
    private readonly FakeFleetStore _store = new();
    private readonly Host _host = new();
    private readonly RecordingLogger _logger = new();
    private ClusterMember _member = null!;

    public async Task InitializeAsync()
    {
        var config = new ClusterConfig { Redis = "127.0.0.1:6379", Instance = "self", SyncInterval = Interval, OnRedisDown = RedisDownPolicy.LocalShare };
        _member = new ClusterMember(config, _host, (_, _) => Task.FromResult<IFleetStore>(_store), _logger, _time);
        _member.Enroll(_host.Limits);
        await _member.StartAsync();
    }

    public async Task DisposeAsync() => await _member.DisposeAsync();

    private FleetShare Share => _host.Limits.Fleet;

    /// <summary>Moves the fake clock one step and lets the member's loop run what came due.</summary>
    private async Task AdvanceAsync(TimeSpan by, Func<bool> until, string what)
    {
        _time.Advance(by);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!until())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached: {what}");
            await Task.Delay(5);
        }
    }

    [Fact]
    public void Before_the_first_lease_the_tenant_runs_under_the_fallback_and_the_first_sync_grants_one()
    {
        // StartAsync ran one sync before returning (the engine opens its listeners after it).
        Assert.Equal(1, _store.Syncs);
        Assert.Equal(FleetShareMode.Lease, Share.Mode);
        Assert.Equal(10, Share.ConnectionCap);
        Assert.Equal(5, Share.RateShare);
        Assert.Equal(2, Share.LiveInstances);
        var demand = _store.LastDemand!.Value;
        Assert.Equal((30, 30, 12), (demand.Limit, demand.Cap, demand.Rate)); // no lease yet: it asked for all
    }

    [Fact]
    public async Task A_lease_holds_through_one_failed_sync_then_the_fallback_applies_and_recovery_is_logged()
    {
        _store.Down = true;
        await AdvanceAsync(Interval, () => _logger.Count("Redis unreachable") == 1, "the failed sync is logged");
        Assert.Equal(FleetShareMode.Lease, Share.Mode); // valid for TTL − interval = 2 s after the last sync

        // The mode changes before the line is written: wait for both.
        await AdvanceAsync(Interval, () => Share.Mode == FleetShareMode.LocalShare && _logger.Count("leases expired") > 0, "the lease expires");
        Assert.Equal(15, Share.ConnectionLimit(30)); // 30 ÷ 2 live members last seen
        Assert.Equal(6, Share.RateLimit(12));
        Assert.Equal(1, _logger.Count("leases expired"));

        await AdvanceAsync(Interval * 3, () => _store.Syncs == 1, "more failed syncs");
        Assert.Equal(1, _logger.Count("Redis unreachable")); // logged on change, not per attempt

        _store.Down = false;
        _store.Grant = new TenantGrant(8, 8, 4, 4);
        await AdvanceAsync(Interval, () => Share.Mode == FleetShareMode.Lease && _logger.Count("Redis reachable", afterStart: true) > 0, "leases resume");
        Assert.Equal(8, Share.ConnectionCap);
        Assert.Equal(1, _logger.Count("Redis reachable", afterStart: true));
    }

    [Fact]
    public async Task A_member_lowers_its_cap_to_the_target_before_telling_redis_and_reports_its_demand()
    {
        _store.Grant = new TenantGrant(Lease: 20, Target: 6, RateLease: 5, RateTarget: 5);
        await AdvanceAsync(Interval, () => _store.Syncs == 2, "second sync");
        Assert.Equal(6, Share.ConnectionCap); // down to the target at once: nothing uses the rest

        // Three open connections, then five refused: the next report says so.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(_host.Limits.Connections.TryAcquire(Share.ConnectionCap));
        }

        for (var i = 0; i < 5; i++)
        {
            Share.NoteRefused();
        }

        await AdvanceAsync(Interval, () => _store.Syncs == 3, "third sync");
        var demand = _store.LastDemand!.Value;
        Assert.Equal((3, 8, 6), (demand.Used, demand.Want, demand.Cap));
    }

    [Fact]
    public async Task A_drain_made_while_redis_is_down_is_kept_and_sent_when_it_returns()
    {
        _store.Down = true;
        _member.PublishDrain(new FleetDrain("t", "10.0.0.1:443", true));
        await AdvanceAsync(Interval, () => _logger.Count("Redis unreachable") == 1, "Redis is seen down");
        Assert.Empty(_store.Published);

        _store.Down = false;
        await AdvanceAsync(Interval, () => _store.Published.Count == 1, "the drain goes out");
        Assert.StartsWith("1 self#", _store.Published[0], StringComparison.Ordinal);
        Assert.EndsWith(" t 10.0.0.1:443", _store.Published[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_drain_message_from_another_member_is_applied_here_and_our_own_is_skipped()
    {
        _store.Deliver($"1 other#12345678 t {_host.Backend.Address}");
        Assert.Equal([("t", _host.Backend.Address, true)], _host.Applied);

        _store.Deliver($"0 {_member.MemberId} t {_host.Backend.Address}");
        Assert.Single(_host.Applied);

        _store.Deliver("garbage");
        Assert.Equal(1, _logger.Count("malformed drain message"));
    }

    [Fact]
    public async Task Stopping_while_a_sync_hangs_ends_cleanly_and_still_gives_the_leases_back()
    {
        _store.Hang = true;
        _time.Advance(Interval); // the loop's next sync starts and never gets an answer
        await Task.Delay(50);
        await _member.DisposeAsync(); // no exception from the cancelled wait (seen in CI)
        Assert.Equal(1, _store.Leaves);
    }

    [Fact]
    public async Task Leaving_gives_the_leases_back()
    {
        await _member.DisposeAsync();
        Assert.Equal(1, _store.Leaves);
    }

    private sealed class Host : IFleetHost
    {
        public TenantLimitState Limits { get; } = new();

        public BackendState Backend { get; } = new("t", new BackendConfig { Address = "10.0.0.1:443", EndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("10.0.0.1"), 443) });

        public List<(string, string, bool)> Applied { get; } = [];

        public IReadOnlyList<FleetTenant> FleetTenants() => [new FleetTenant("t", 30, 12, Limits)];

        public IEnumerable<BackendState> FleetBackends() => [Backend];

        public void ApplyFleetDrain(string tenant, string address, bool draining)
        {
            Applied.Add((tenant, address, draining));
            Backend.SetDraining(draining);
        }
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public int Count(string fragment, bool afterStart = false)
        {
            lock (_lines)
            {
                return _lines.Skip(afterStart ? 2 : 0).Count(l => l.Contains(fragment, StringComparison.Ordinal));
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}
