using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Routing;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// Runs the load feedback of the current snapshot: one <see cref="FeedbackCollector"/> per tenant with
/// <c>[tenant.feedback]</c>, applied with each snapshot the engine commits, as <see cref="HealthMonitor"/>
/// applies checks. A tenant whose table and backends did not change keeps its collector; a changed table
/// or backend list restarts it; a tenant that lost the table (or stopped reading an agent) has the
/// agent's drain, down, weight and maxconn lifted, since nothing would ever lift them otherwise.
/// </summary>
internal sealed class FeedbackMonitor : IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Func<FeedbackConfig, IFeedbackSource> _sources;
    private readonly object _sync = new();
    private readonly Dictionary<string, FeedbackCollector> _collectors = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="sources">Makes a tenant's source (tests pass a scripted one); default: <see cref="AgentSource"/> or <see cref="PrometheusSource"/>.</param>
    public FeedbackMonitor(ILogger logger, TimeProvider timeProvider, Func<FeedbackConfig, IFeedbackSource>? sources = null)
    {
        _logger = logger;
        _timeProvider = timeProvider;
        _sources = sources ?? CreateSource;
    }

    public static IFeedbackSource CreateSource(FeedbackConfig settings) =>
        settings.Source == FeedbackSource.Agent ? new AgentSource(settings) : new PrometheusSource(settings);

    /// <summary>Tenants whose feedback is being collected.</summary>
    public IReadOnlyCollection<string> CollectedTenants
    {
        get
        {
            lock (_sync)
            {
                return [.. _collectors.Keys];
            }
        }
    }

    /// <summary>Starts, restarts or stops collectors to match <paramref name="tenants"/> (the tenants of the snapshot now serving).</summary>
    public void Apply(IEnumerable<TenantState> tenants)
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tenant in tenants)
            {
                present.Add(tenant.Name);
                var settings = tenant.Config.Feedback;
                _collectors.TryGetValue(tenant.Name, out var collector);
                if (settings is null)
                {
                    if (collector is not null)
                    {
                        collector.Dispose();
                        _collectors.Remove(tenant.Name);
                    }

                    Forget(tenant.Name, tenant.Backends);
                    continue;
                }

                if (collector is not null && collector.Settings == settings && collector.Backends.SequenceEqual(tenant.Backends))
                {
                    continue;
                }

                collector?.Dispose();
                if (collector is not null && collector.Settings.Source != settings.Source)
                {
                    // A report from the other source means nothing to this one, and an agent no longer read cannot undo its drain.
                    Forget(tenant.Name, tenant.Backends);
                }

                collector = new FeedbackCollector(tenant.Name, settings, tenant.Backends, _sources(settings), _timeProvider, _logger);
                _collectors[tenant.Name] = collector;
                collector.Start();
            }

            foreach (var name in _collectors.Keys.Where(n => !present.Contains(n)).ToList())
            {
                _collectors[name].Dispose();
                _collectors.Remove(name);
            }
        }
    }

    private void Forget(string tenant, IReadOnlyList<BackendState> backends)
    {
        foreach (var backend in backends)
        {
            backend.SetReport(null);
            backend.SetAgentLimits(null, null);
            var lifted = backend.SetAgentDraining(false) | backend.SetAgentDown(false);
            if (lifted)
            {
                FeedbackLog.AgentForgotten(_logger, tenant, backend.Address);
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var collector in _collectors.Values)
            {
                collector.Dispose();
            }

            _collectors.Clear();
        }
    }
}
