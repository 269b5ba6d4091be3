using System.Globalization;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// Polls one tenant's backends for load reports (<c>[tenant.feedback]</c>): one periodic timer on the
/// injected <see cref="TimeProvider"/>, a poll per backend per tick (never two at once for one backend,
/// as <see cref="ActiveHealthChecker"/>), each bounded by <c>timeout</c>. Reports land on
/// <see cref="BackendState"/> (<see cref="BackendState.SetReport"/>), so a reload that replaces the
/// collector loses nothing. A failed poll leaves the last report standing until it is older than
/// <c>stale_after</c>; then its weight and maxconn stop applying. Only the agent's own words take a
/// backend out, and only the agent's words bring it back (HAProxy: "only the agent may revert its own
/// actions").
/// </summary>
internal sealed class FeedbackCollector : IDisposable
{
    private readonly BackendState[] _backends;
    private readonly int[] _inFlight;
    private readonly bool[] _failing;
    private readonly bool[] _stale;
    private readonly string?[] _complaints;
    private readonly IFeedbackSource _source;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly object _sync = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;

    public FeedbackCollector(string tenant, FeedbackConfig settings, IReadOnlyList<BackendState> backends, IFeedbackSource source, TimeProvider timeProvider, ILogger logger)
    {
        Tenant = tenant;
        Settings = settings;
        _backends = [.. backends];
        _inFlight = new int[_backends.Length];
        _failing = new bool[_backends.Length];
        _stale = new bool[_backends.Length];
        _complaints = new string?[_backends.Length];
        _source = source;
        _timeProvider = timeProvider;
        _logger = logger;
        _timer = timeProvider.CreateTimer(static s => ((FeedbackCollector)s!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Tenant { get; }

    public FeedbackConfig Settings { get; }

    public IReadOnlyList<BackendState> Backends => _backends;

    public void Start()
    {
        FeedbackLog.Started(_logger, Tenant, Settings.Source == FeedbackSource.Agent ? "agents" : "metrics", _backends.Length, DurationParser.Format(Settings.Interval), DurationParser.Format(Settings.Timeout), DurationParser.Format(Settings.StaleAfter));
        _timer.Change(TimeSpan.Zero, Settings.Interval);
    }

    private void Tick()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        for (var i = 0; i < _backends.Length; i++)
        {
            CheckStale(i);

            // A host name that does not resolve (issue 17) has no address to poll; the health monitor looks it up.
            if (_backends[i].IsResolved && Interlocked.CompareExchange(ref _inFlight[i], 1, 0) == 0)
            {
                _ = PollAsync(i);
            }
        }
    }

    private async Task PollAsync(int index)
    {
        var backend = _backends[index];
        try
        {
            FeedbackPoll poll;
            using (var timeout = new CancellationTokenSource(Settings.Timeout, _timeProvider))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token))
            {
                try
                {
                    poll = await _source.PollAsync(backend, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    poll = FeedbackPoll.Failed($"no answer within {DurationParser.Format(Settings.Timeout)}");
                }
            }

            Apply(index, poll);
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Stopped (replaced by a reload, or shutting down): the poll was cut short, not failed.
        }
        catch (Exception ex)
        {
            FeedbackLog.PollFaulted(_logger, Tenant, backend.Address, ex);
        }
        finally
        {
            Volatile.Write(ref _inFlight[index], 0);
        }
    }

    /// <summary>A report older than <c>stale_after</c> stops steering: the agent's weight and maxconn are lifted (its drain and down stay).</summary>
    private void CheckStale(int index)
    {
        var backend = _backends[index];
        lock (_sync)
        {
            if (_stale[index] || backend.Report is not { } report || _timeProvider.GetElapsedTime(report.ReceivedAt) <= Settings.StaleAfter)
            {
                return;
            }

            _stale[index] = true;
            FeedbackLog.ReportStale(_logger, Tenant, backend.Address, DurationParser.Format(Settings.StaleAfter));
            backend.SetAgentLimits(null, null);
        }
    }

    private void Apply(int index, FeedbackPoll poll)
    {
        var backend = _backends[index];
        lock (_sync)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            if (poll.Error is { } error)
            {
                if (!_failing[index])
                {
                    _failing[index] = true;
                    FeedbackLog.PollFailing(_logger, Tenant, backend.Address, error);
                }

                if (backend.Report is { } last)
                {
                    backend.SetReport(last with { Reason = error });
                }

                return;
            }

            var now = _timeProvider.GetTimestamp();
            BackendReport report;
            if (poll.Agent is { } reply)
            {
                report = ApplyAgent(index, reply, now);
            }
            else
            {
                report = new BackendReport(now, poll.Load, null, null, AgentState.None, null);
                backend.SetReport(report);
            }

            _stale[index] = false;
            if (_failing[index])
            {
                _failing[index] = false;
                FeedbackLog.PollRecovered(_logger, Tenant, backend.Address, Describe(report));
            }
        }
    }

    private BackendReport ApplyAgent(int index, AgentReply reply, long now)
    {
        var backend = _backends[index];
        var previous = backend.Report;

        // "Parameters which are not advertised by the agent are not changed" (HAProxy's manual). An absolute
        // weight is relative to the weight in force (an operator's, issue 17, else the configured one), so
        // the pickers end up using the agent's number.
        var percent = reply.WeightPercent
            ?? (reply.AbsoluteWeight is { } absolute ? (int)Math.Min(BackendState.MaxAgentPercent, Math.Round(absolute * 100.0 / Math.Max(1, backend.BaseWeight))) : previous?.WeightPercent);
        var maxConnections = reply.MaxConnections ?? previous?.MaxConnections;
        var state = reply.Health != AgentState.None ? reply.Health : reply.Admin != AgentState.None ? reply.Admin : previous?.State ?? AgentState.None;
        var report = new BackendReport(now, null, percent, maxConnections, state, reply.Description);
        backend.SetReport(report);
        backend.SetAgentLimits(percent, maxConnections);

        var reason = reply.Description is { Length: > 0 } d ? $" (#{d})" : "";
        switch (reply.Admin)
        {
            case AgentState.Drain or AgentState.Maint when backend.SetAgentDraining(true):
                FeedbackLog.AgentTookOut(_logger, Tenant, backend.Address, Word(reply.Admin), reason, "ready");
                break;
            case AgentState.Ready when backend.SetAgentDraining(false):
                FeedbackLog.AgentPutBack(_logger, Tenant, backend.Address, "ready", reason);
                break;
        }

        switch (reply.Health)
        {
            case AgentState.Down or AgentState.Fail or AgentState.Stopped when backend.SetAgentDown(true):
                FeedbackLog.AgentTookOut(_logger, Tenant, backend.Address, Word(reply.Health), reason, "up");
                break;
            case AgentState.Up when backend.SetAgentDown(false):
                FeedbackLog.AgentPutBack(_logger, Tenant, backend.Address, "up", reason);
                break;
        }

        var complaint = reply.Error is { } word
            ? reply.Warning is { } w ? $"unknown word \"{word}\"; {w}" : $"unknown word \"{word}\""
            : reply.Warning;
        if (complaint is not null && !string.Equals(complaint, _complaints[index], StringComparison.Ordinal))
        {
            FeedbackLog.AgentComplaint(_logger, Tenant, backend.Address, complaint);
        }

        _complaints[index] = complaint;
        return report;
    }

    private static string Word(AgentState state) => state.ToString().ToLowerInvariant();

    private static string Describe(BackendReport report)
    {
        if (report.Load is { } load)
        {
            return string.Create(CultureInfo.InvariantCulture, $"load {load:0.###}");
        }

        var words = new List<string>();
        if (report.State != AgentState.None)
        {
            words.Add(Word(report.State));
        }

        if (report.WeightPercent is { } p)
        {
            words.Add(string.Create(CultureInfo.InvariantCulture, $"{p}%"));
        }

        if (report.MaxConnections is { } m)
        {
            words.Add(string.Create(CultureInfo.InvariantCulture, $"maxconn:{m}"));
        }

        return words.Count == 0 ? "agent line" : "agent: " + string.Join(' ', words);
    }

    public void Dispose()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _timer.Dispose();
        _stopping.Cancel();
        _source.Dispose();
        FeedbackLog.Stopped(_logger, Tenant);
    }
}
