using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Health;

/// <summary>
/// Active checks of one tenant's backends (<c>[tenant.health]</c>): every <c>interval</c> each backend
/// gets a probe; <c>fall</c> consecutive failures mark it down, <c>rise</c> consecutive passes mark it
/// up. One periodic timer per tenant, on the injected <see cref="TimeProvider"/>; the first round runs
/// at once so a backend added by a reload is known promptly. The state it changes lives on
/// <see cref="BackendState"/>, so replacing the checker (a reload that retunes the table) loses nothing.
/// A backend whose host name does not resolve is looked up first in each round, and checked only once it
/// resolves (issue 17): a lookup that fails is not a check that failed, it is the DNS status.
/// </summary>
internal sealed class ActiveHealthChecker : IDisposable
{
    private readonly BackendState[] _backends;
    private readonly int[] _inFlight;
    private readonly IHealthProbe _probe;
    private readonly BackendResolver _resolver;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;

    public ActiveHealthChecker(string tenant, HealthConfig settings, ProxyProtocolMode proxyProtocol, IReadOnlyList<BackendState> backends, IHealthProbe probe, BackendResolver resolver, TimeProvider timeProvider, ILogger logger)
    {
        Tenant = tenant;
        Settings = settings;
        ProxyProtocol = proxyProtocol;
        _backends = [.. backends];
        _inFlight = new int[_backends.Length];
        _probe = probe;
        _resolver = resolver;
        _logger = logger;
        _timer = timeProvider.CreateTimer(static s => ((ActiveHealthChecker)s!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Tenant { get; }

    public HealthConfig Settings { get; }

    /// <summary>The tenant's <c>proxy_protocol</c>, sent on every probe (see <see cref="HealthProbe"/>).</summary>
    public ProxyProtocolMode ProxyProtocol { get; }

    public IReadOnlyList<BackendState> Backends => _backends;

    public void Start()
    {
        HealthLog.ChecksStarted(_logger, Tenant, Settings.Type.ToString().ToLowerInvariant(), _backends.Length, DurationParser.Format(Settings.Interval), DurationParser.Format(Settings.Timeout), Settings.Rise, Settings.Fall);
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
            // A probe still running (timeout > interval, or a slow machine) is not doubled up: the
            // tick is skipped for that backend, as HAProxy never runs two checks of one server at once.
            if (Interlocked.CompareExchange(ref _inFlight[i], 1, 0) == 0)
            {
                _ = CheckAsync(i);
            }
        }
    }

    private async Task CheckAsync(int index)
    {
        var backend = _backends[index];
        try
        {
            if (!await _resolver.ResolveAsync(backend, _stopping.Token).ConfigureAwait(false))
            {
                return; // still DNS: nothing to connect to
            }

            var result = await _probe.ProbeAsync(backend, Settings, ProxyProtocol, _stopping.Token).ConfigureAwait(false);
            if (_stopping.IsCancellationRequested)
            {
                return; // replaced or stopped while probing: the probe was cut short, not failed
            }

            switch (ActiveHealthRule.Record(backend, result, Settings.Rise, Settings.Fall))
            {
                case HealthTransition.Down:
                    HealthLog.CheckDown(_logger, Tenant, backend.Address, backend.ConsecutiveCheckFailures, result.Status.ToString(), result.Detail);
                    break;
                case HealthTransition.Up:
                    HealthLog.CheckUp(_logger, Tenant, backend.Address, backend.ConsecutiveCheckSuccesses, result.Status.ToString(), result.Detail);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !_stopping.IsCancellationRequested)
        {
            HealthLog.CheckFaulted(_logger, Tenant, backend.Address, ex);
        }
        catch (Exception)
        {
            // Stopped: a check cut short is neither a pass nor a failure.
        }
        finally
        {
            Volatile.Write(ref _inFlight[index], 0);
        }
    }

    public void Dispose()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _timer.Dispose();

        // Cancels probes in flight; the source is not disposed because they may still be reading its token.
        _stopping.Cancel();
        HealthLog.ChecksStopped(_logger, Tenant);
    }
}
