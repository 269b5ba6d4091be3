using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Routing;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health;

/// <summary>
/// Runs the health checks of the current snapshot: one <see cref="ActiveHealthChecker"/> per tenant
/// with <c>[tenant.health]</c>, the passive policy on every backend, and the timed retry that brings a
/// passively downed backend back when its tenant has no active checks. <see cref="Apply"/> is called
/// with each snapshot the engine commits; checks of tenants whose table and backends did not change
/// keep running undisturbed. It also looks up, every <c>resolve_interval</c>, the host names of backends
/// that did not resolve (issue 17), whether or not their tenant has active checks.
/// </summary>
internal sealed class HealthMonitor : IDisposable
{
    /// <summary>
    /// A tenant without <c>[tenant.health]</c> still has the passive check (SPEC), which needs a
    /// <c>fall</c> and an <c>interval</c>: it uses the table's defaults, fall 3 and a retry after 5s.
    /// </summary>
    public static readonly HealthConfig PassiveDefaults = new();

    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly IHealthProbe _probe;
    private readonly BackendResolver _resolver;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _sync = new();
    private readonly Dictionary<string, ActiveHealthChecker> _checkers = new(StringComparer.Ordinal);
    private readonly Dictionary<BackendState, ITimer> _retries = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;
    private BackendState[] _backends = [];
    private ITimer? _resolveTimer;
    private TimeSpan _resolveInterval;

    /// <param name="lookup">DNS for backend host names that did not resolve (default: the system resolver; tests pass a fake).</param>
    public HealthMonitor(ILogger logger, TimeProvider timeProvider, IHealthProbe? probe = null, Func<string, CancellationToken, Task<IPAddress[]>>? lookup = null)
    {
        _logger = logger;
        _timeProvider = timeProvider;
        _probe = probe ?? new HealthProbe(timeProvider);
        _resolver = new BackendResolver(lookup ?? Dns.GetHostAddressesAsync, timeProvider, logger);
    }

    /// <summary>Tenants whose active checks are running.</summary>
    public IReadOnlyCollection<string> CheckedTenants
    {
        get
        {
            lock (_sync)
            {
                return [.. _checkers.Keys];
            }
        }
    }

    /// <summary>Starts, retunes or stops checks to match <paramref name="tenants"/> (the tenants of the snapshot now serving).</summary>
    /// <param name="resolveInterval"><c>global.resolve_interval</c> (default 30s).</param>
    public void Apply(IEnumerable<TenantState> tenants, TimeSpan? resolveInterval = null)
    {
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            tenants = [.. tenants];
            Volatile.Write(ref _backends, [.. tenants.SelectMany(t => t.Backends)]);
            var interval = resolveInterval ?? new GlobalConfig().ResolveInterval;
            if (_resolveTimer is null || interval != _resolveInterval)
            {
                _resolveTimer?.Dispose();
                _resolveInterval = interval;

                // Not at once: the config load that made the backends has just looked them up.
                _resolveTimer = _timeProvider.CreateTimer(static s => ((HealthMonitor)s!).ResolveRound(), this, interval, interval);
            }

            var present = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tenant in tenants)
            {
                present.Add(tenant.Name);
                var settings = tenant.Config.Health;
                var effective = settings ?? PassiveDefaults;
                var passive = new PassiveHealthPolicy(tenant.Name, effective.Fall, effective.Interval, activeChecks: settings is not null, this);
                foreach (var backend in tenant.Backends)
                {
                    backend.PassiveHealth = passive;
                }

                _checkers.TryGetValue(tenant.Name, out var checker);
                if (settings is null)
                {
                    if (checker is not null)
                    {
                        checker.Dispose();
                        _checkers.Remove(tenant.Name);
                    }

                    // Down by an active check that no longer runs: nothing else would bring it back.
                    foreach (var backend in tenant.Backends)
                    {
                        if (!backend.IsUp)
                        {
                            ScheduleRetry(backend, passive.RetryAfter);
                        }
                    }
                }
                else if (checker is null || checker.Settings != settings || checker.ProxyProtocol != tenant.Config.ProxyProtocol || !checker.Backends.SequenceEqual(tenant.Backends))
                {
                    checker?.Dispose();
                    checker = new ActiveHealthChecker(tenant.Name, settings, tenant.Config.ProxyProtocol, tenant.Backends, _probe, _resolver, _timeProvider, _logger);
                    _checkers[tenant.Name] = checker;
                    checker.Start();
                }
            }

            foreach (var name in _checkers.Keys.Where(n => !present.Contains(n)).ToList())
            {
                _checkers[name].Dispose();
                _checkers.Remove(name);
            }
        }
    }

    private void ResolveRound()
    {
        foreach (var backend in Volatile.Read(ref _backends))
        {
            if (!backend.IsResolved)
            {
                _ = ResolveAsync(backend);
            }
        }
    }

    private async Task ResolveAsync(BackendState backend)
    {
        try
        {
            await _resolver.ResolveAsync(backend, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (Exception ex)
        {
            HealthLog.CheckFaulted(_logger, backend.Tenant, backend.Address, ex);
        }
    }

    /// <summary>Called by <see cref="BackendState.RecordConnectFailure"/> when the passive check marked a backend down.</summary>
    internal void OnPassiveDown(BackendState backend, PassiveHealthPolicy policy, int consecutiveFailures)
    {
        HealthLog.PassiveDown(_logger, policy.Tenant, backend.Address, consecutiveFailures);
        if (!policy.ActiveChecks)
        {
            lock (_sync)
            {
                ScheduleRetry(backend, policy.RetryAfter);
            }
        }
    }

    private void ScheduleRetry(BackendState backend, TimeSpan after)
    {
        if (_disposed || _retries.ContainsKey(backend))
        {
            return;
        }

        // One-shot. The interval is validated > 0, so the callback cannot run inside CreateTimer
        // (FakeTimeProvider runs due timers synchronously) before the entry below exists.
        _retries[backend] = _timeProvider.CreateTimer(
            static s => { var (monitor, b) = ((HealthMonitor, BackendState))s!; monitor.Retry(b); },
            (this, backend), after, Timeout.InfiniteTimeSpan);
    }

    private void Retry(BackendState backend)
    {
        lock (_sync)
        {
            if (!_retries.Remove(backend, out var timer))
            {
                return;
            }

            timer.Dispose();
            if (_disposed)
            {
                return;
            }
        }

        // The tenant may have gained active checks since: then they bring the backend back.
        if (backend.PassiveHealth is PassiveHealthPolicy { ActiveChecks: false } policy && backend.RetryAfterPassiveDown(policy.Fall))
        {
            HealthLog.PassiveRetry(_logger, policy.Tenant, backend.Address, DurationParser.Format(policy.RetryAfter));
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
            _resolveTimer?.Dispose();
            _stopping.Cancel(); // lookups in flight; the source is not disposed because they may still read its token
            foreach (var checker in _checkers.Values)
            {
                checker.Dispose();
            }

            foreach (var timer in _retries.Values)
            {
                timer.Dispose();
            }

            _checkers.Clear();
            _retries.Clear();
        }
    }
}
