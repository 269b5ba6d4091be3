using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health.Feedback;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Health.Feedback;

/// <summary>The collector's timing, staleness, the agent's effects and what is logged, on fake time with a scripted source.</summary>
public sealed class FeedbackMonitorTests : IDisposable
{
    private static readonly FeedbackConfig Agent = new()
    {
        Source = FeedbackSource.Agent,
        Interval = TimeSpan.FromSeconds(1),
        Timeout = TimeSpan.FromMilliseconds(500),
        StaleAfter = TimeSpan.FromSeconds(3),
        AgentPort = 5555,
    };

    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedSource _source = new();
    private readonly RecordingLogger _log = new();
    private readonly List<IFeedbackSource> _made = [];
    private readonly FeedbackMonitor _monitor;

    public FeedbackMonitorTests() =>
        _monitor = new FeedbackMonitor(_log, _time, settings =>
        {
            _made.Add(_source);
            return _source;
        });

    public void Dispose() => _monitor.Dispose();

    private static BackendState Backend(int port, int weight = 1, int maxConnections = 0) =>
        new("t", new BackendConfig { Address = $"127.0.0.1:{port}", EndPoint = new IPEndPoint(IPAddress.Loopback, port), Weight = weight, MaxConnections = maxConnections });

    private static TenantState Tenant(FeedbackConfig? feedback, params BackendState[] backends)
    {
        var config = new TenantConfig { Name = "t", Feedback = feedback, Backends = backends.Select(b => b.Config).ToArray() };
        return new TenantState(config, backends, new LeastConnectionsPolicy(), new TenantCounters(), new TenantLimitState());
    }

    /// <summary>
    /// Advances fake time outside xunit's synchronization context: under one, .NET never runs a task's
    /// continuations inline, so a hung poll cancelled by its timeout would finish on the thread pool,
    /// racing the next tick. Without, it is over when this returns, as it is long before the next tick
    /// on a real clock.
    /// </summary>
    private void Advance(TimeSpan delta)
    {
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            _time.Advance(delta);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    [Fact]
    public void Polls_at_once_then_every_interval_and_stamps_the_report()
    {
        var a = Backend(1001);
        _source.Agent(1001, "75%");
        Advance(TimeSpan.FromSeconds(10));
        var start = _time.GetTimestamp();

        _monitor.Apply([Tenant(Agent, a)]);

        Assert.Equal(1, _source.Calls(1001));
        Assert.Equal(start, a.Report!.ReceivedAt);
        Assert.Equal(75, a.Report.WeightPercent);
        Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal(1, _source.Calls(1001));
        Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, _source.Calls(1001));
        Assert.Equal(_time.GetTimestamp(), a.Report.ReceivedAt);
        Assert.Equal(["t"], _monitor.CollectedTenants);
    }

    [Fact]
    public void Agent_weight_and_maxconn_apply_while_fresh_and_lapse_when_stale()
    {
        var a = Backend(1001, weight: 10, maxConnections: 100);
        _source.Agent(1001, "50% maxconn:20");
        _monitor.Apply([Tenant(Agent, a)]);
        Assert.Equal(5, a.EffectiveWeight);
        Assert.Equal(20, a.EffectiveMaxConnections);
        Assert.Equal(10, a.Weight); // the configured weight stays visible

        _source.Set(1001, FeedbackPoll.Failed("connection refused"));
        Advance(TimeSpan.FromSeconds(3)); // three failed polls; the report is exactly stale_after old
        Assert.Equal(5, a.EffectiveWeight);
        Assert.Equal("connection refused", a.Report!.Reason); // why, with the last values kept
        Assert.Equal(50, a.Report.WeightPercent);
        Assert.Equal(1, _log.Count(4202)); // failing: logged once, not per poll

        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(10, a.EffectiveWeight);
        Assert.Equal(100, a.EffectiveMaxConnections);
        Assert.Null(a.AgentWeightPercent);
        Assert.Equal(50, a.Report.WeightPercent);
        Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, _log.Count(4204)); // stale: once
        Assert.Equal(1, _log.Count(4202));

        _source.Agent(1001, "ready");
        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _log.Count(4203)); // recovered: once
        Assert.Equal(5, a.EffectiveWeight); // the agent did not take back its 50%: it stands (HAProxy)
        Assert.Equal(20, a.EffectiveMaxConnections);
    }

    [Fact]
    public void Drain_and_down_come_only_from_the_agent_and_only_the_agent_undoes_them()
    {
        var a = Backend(1001);
        var b = Backend(1002);
        _source.Agent(1001, "drain #rolling upgrade");
        _source.Agent(1002, "down");
        _monitor.Apply([Tenant(Agent, a, b)]);

        Assert.True(a.IsAgentDraining);
        Assert.False(a.IsDraining); // the operator's drain is apart
        Assert.False(a.IsAvailable);
        Assert.Equal(AgentState.Drain, a.Report!.State);
        Assert.Equal("rolling upgrade", a.Report.Reason);
        Assert.True(b.IsAgentDown);
        Assert.True(b.IsUp); // the checks' view is apart
        Assert.False(b.IsAvailable);
        Assert.Contains(_log.Messages(4205), m => m.Contains("agent says drain (#rolling upgrade)", StringComparison.Ordinal));

        // A silent agent does not bring a backend back, however stale its report.
        _source.Silent(1001);
        _source.Set(1002, FeedbackPoll.Failed("refused"));
        for (var i = 0; i < 10; i++)
        {
            Advance(TimeSpan.FromSeconds(1));
        }

        Assert.True(a.IsAgentDraining);
        Assert.True(b.IsAgentDown);
        Assert.Equal(2, _log.Count(4205)); // one line per change, not per poll

        _source.Agent(1001, "ready");
        _source.Agent(1002, "up");
        Advance(TimeSpan.FromSeconds(1));
        Assert.True(a.IsAvailable);
        Assert.False(b.IsAgentDown);
        Assert.True(b.IsAvailable);
        Assert.Equal(2, _log.Count(4206));
    }

    [Fact]
    public void Maint_then_drain_switches_without_bringing_the_backend_back()
    {
        var a = Backend(1001);
        _source.Agent(1001, "maint");
        _monitor.Apply([Tenant(Agent, a)]);
        _source.Agent(1001, "drain");
        Advance(TimeSpan.FromSeconds(1));

        Assert.True(a.IsAgentDraining);
        Assert.Equal(AgentState.Drain, a.Report!.State);
        Assert.Equal(1, _log.Count(4205));
    }

    [Fact]
    public void A_silent_agent_times_out_and_the_timeout_is_logged_once()
    {
        var a = Backend(1001);
        _source.Agent(1001, "80%");
        _monitor.Apply([Tenant(Agent, a)]);
        _source.Silent(1001);

        Advance(TimeSpan.FromSeconds(1)); // a poll starts and hangs
        Advance(TimeSpan.FromMilliseconds(500)); // its timeout
        Assert.Equal(1, _log.Count(4202));
        Assert.Contains("no answer within 500ms", _log.Messages(4202)[0], StringComparison.Ordinal);
        Assert.Equal(80, a.Report!.WeightPercent);
        Assert.Equal(2, _source.Calls(1001));

        Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(3, _source.Calls(1001)); // the next poll starts on time: the hung one was ended
        Advance(TimeSpan.FromMilliseconds(500));
        Assert.NotNull(a.Report.Reason);
        Assert.Equal(1, _log.Count(4202));
    }

    [Fact]
    public void Unknown_words_are_logged_once_while_the_agent_keeps_saying_them()
    {
        var a = Backend(1001);
        _source.Agent(1001, "hello 50%");
        _monitor.Apply([Tenant(Agent, a)]);
        Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, _log.Count(4207));
        Assert.Contains("unknown word \"hello\"", _log.Messages(4207)[0], StringComparison.Ordinal);
        Assert.Equal(50, a.AgentWeightPercent);

        _source.Agent(1001, "50%");
        Advance(TimeSpan.FromSeconds(1));
        _source.Agent(1001, "hello 50%");
        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, _log.Count(4207)); // it stopped and started again: a new state
    }

    [Fact]
    public void Absolute_weight_is_kept_as_a_share_of_the_configured_weight()
    {
        var a = Backend(1001, weight: 4);
        _source.Agent(1001, "weight:6");
        _monitor.Apply([Tenant(Agent, a)]);

        Assert.Equal(150, a.Report!.WeightPercent);
        Assert.Equal(6, a.EffectiveWeight);
    }

    [Fact]
    public void Prometheus_load_lands_on_the_report_and_never_takes_a_backend_out()
    {
        var settings = Agent with { Source = FeedbackSource.Prometheus, MetricsUrl = "http://{host}:{port}/metrics", Load = [new LoadTerm { Metric = "m" }] };
        var a = Backend(1001);
        _source.Set(1001, FeedbackPoll.FromLoad(42.5));
        _monitor.Apply([Tenant(settings, a)]);

        Assert.Equal(42.5, a.Report!.Load);
        Assert.Equal(AgentState.None, a.Report.State);

        _source.Set(1001, FeedbackPoll.Failed("HTTP 503"));
        Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(42.5, a.Report.Load);
        Assert.True(a.IsAvailable);
    }

    [Fact]
    public void Reload_keeps_an_unchanged_collector_restarts_a_changed_one_and_stops_a_removed_one()
    {
        var a = Backend(1001);
        _source.Agent(1001, "up");
        _monitor.Apply([Tenant(Agent, a)]);
        _monitor.Apply([Tenant(Agent, a)]);
        Assert.Single(_made);
        Assert.Equal(1, _source.Calls(1001)); // not restarted: no extra poll

        var b = Backend(1002);
        _source.Agent(1002, "up");
        _monitor.Apply([Tenant(Agent, a, b)]); // a backend added: restarted, both polled at once
        Assert.Equal(2, _made.Count);
        Assert.Equal(2, _source.Calls(1001));
        Assert.Equal(1, _source.Calls(1002));

        _monitor.Apply([Tenant(Agent with { Interval = TimeSpan.FromSeconds(2), Timeout = TimeSpan.FromSeconds(2), StaleAfter = TimeSpan.FromSeconds(6) }, a, b)]);
        Assert.Equal(3, _made.Count);
        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, _source.Calls(1001)); // the new interval
        Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(4, _source.Calls(1001));

        _monitor.Apply([]);
        Assert.Empty(_monitor.CollectedTenants);
        Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(4, _source.Calls(1001));
    }

    [Fact]
    public void Removing_the_table_lifts_what_the_agent_set()
    {
        var a = Backend(1001, weight: 10);
        _source.Agent(1001, "drain down 20% maxconn:3");
        _monitor.Apply([Tenant(Agent, a)]);
        Assert.True(a.IsAgentDraining);
        Assert.True(a.IsAgentDown);
        Assert.Equal(2, a.EffectiveWeight);

        _monitor.Apply([Tenant(null, a)]);

        Assert.False(a.IsAgentDraining);
        Assert.False(a.IsAgentDown);
        Assert.Equal(10, a.EffectiveWeight);
        Assert.Equal(0, a.EffectiveMaxConnections);
        Assert.Null(a.Report);
        Assert.Equal(1, _log.Count(4209));
    }

    [Fact]
    public void Switching_source_forgets_the_agent()
    {
        var a = Backend(1001);
        _source.Agent(1001, "maint");
        _monitor.Apply([Tenant(Agent, a)]);
        Assert.True(a.IsAgentDraining);

        _source.Set(1001, FeedbackPoll.FromLoad(1));
        _monitor.Apply([Tenant(Agent with { Source = FeedbackSource.Prometheus, MetricsUrl = "http://{host}/", Load = [new LoadTerm { Metric = "m" }] }, a)]);

        Assert.False(a.IsAgentDraining);
        Assert.Equal(1, a.Report!.Load);
    }

    [Fact]
    public void Dispose_stops_polling_and_disposes_the_source()
    {
        var a = Backend(1001);
        _source.Agent(1001, "up");
        _monitor.Apply([Tenant(Agent, a)]);

        _monitor.Dispose();
        Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, _source.Calls(1001));
        Assert.True(_source.Disposed);
    }
}
