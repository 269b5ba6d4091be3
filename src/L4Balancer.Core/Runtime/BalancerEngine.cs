using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Proxy;
using L4Balancer.Core.Routing;
using L4Balancer.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Runtime;

/// <summary>
/// The running balancer: the current config snapshot, the bound listeners, the open sessions.
/// The host drives it (start, reload, stop); tests drive it the same way in-process.
/// </summary>
internal sealed class BalancerEngine : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Random? _random;
    private readonly ProxyContext _context;
    private readonly Dictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
    private RuntimeSnapshot? _current;
    private long _nextSessionId;
    private long _generation;
    private volatile bool _accepting;

    public BalancerEngine(ILoggerFactory loggerFactory, TimeProvider timeProvider, RelayOptions? relay = null, Random? random = null, TimeSpan? idleScanInterval = null)
    {
        _logger = loggerFactory.CreateLogger("L4Balancer.Engine");
        _timeProvider = timeProvider;
        _random = random;
        Connections = new ConnectionRegistry(timeProvider, idleScanInterval ?? TimeSpan.FromSeconds(1));
        Metrics = new BalancerMetrics(() => CurrentOrNull, State, Connections, Rejections, Reloads);
        _context = new ProxyContext(loggerFactory, timeProvider, relay ?? new RelayOptions(), Connections, Rejections, Metrics);
    }

    public RuntimeSnapshot Current => Volatile.Read(ref _current) ?? throw new InvalidOperationException("the engine has not started");

    /// <summary>The current snapshot, or null before <see cref="StartAsync"/> (for views that may ask early: admin, metrics).</summary>
    public RuntimeSnapshot? CurrentOrNull => Volatile.Read(ref _current);

    public StateStore State { get; } = new();

    public ConnectionRegistry Connections { get; }

    public RejectionCounters Rejections { get; } = new();

    public ReloadCounters Reloads { get; } = new();

    /// <summary>The "L4Balancer" meter and its instruments (SPEC "Metrics"), reading this engine's counters.</summary>
    public BalancerMetrics Metrics { get; }

    /// <summary>True while listeners are bound and accepting: after <see cref="StartAsync"/>, until <see cref="StopAsync"/> closes them.</summary>
    public bool IsAccepting => _accepting;

    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>Listener name → bound address (with the real port when the config said 0).</summary>
    public IReadOnlyDictionary<string, IPEndPoint> ListenerEndPoints
    {
        get
        {
            lock (_listeners)
            {
                return _listeners.ToDictionary(l => l.Key, l => l.Value.LocalEndPoint, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>Builds the first snapshot and binds every listener; if any bind fails, none stays bound.</summary>
    public Task StartAsync(BalancerConfig config)
    {
        var snapshot = SnapshotBuilder.Build(config, Interlocked.Increment(ref _generation), State, _random);
        Volatile.Write(ref _current, snapshot);
        var bound = new List<Listener>();
        try
        {
            foreach (var listenerConfig in config.Listeners)
            {
                bound.Add(BindListener(listenerConfig, config.Global.Backlog));
            }
        }
        catch
        {
            foreach (var listener in bound)
            {
                listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        lock (_listeners)
        {
            foreach (var listener in bound)
            {
                _listeners[listener.Name] = listener;
                listener.Start();
            }
        }

        _accepting = true;

        return Task.CompletedTask;
    }

    private Listener BindListener(ListenerConfig config, int backlog)
    {
        try
        {
            return Listener.Bind(config, backlog, OnAccepted, _logger, _timeProvider);
        }
        catch (SocketException ex)
        {
            throw new ListenerBindException(config.Name, config.Bind, ex);
        }
    }

    private void OnAccepted(Socket socket, Listener listener)
    {
        var snapshot = Current;
        if (!snapshot.Listeners.TryGetValue(listener.Name, out var route))
        {
            // Accepted in the instant between a reload that removed this listener and its close.
            socket.Dispose();
            return;
        }

        var session = new ProxySession(Interlocked.Increment(ref _nextSessionId), _context, snapshot, route, socket);
        ThreadPool.UnsafeQueueUserWorkItem(session, preferLocal: false);
    }

    /// <summary>
    /// Graceful stop (SPEC "Signals"): close every listener at once, let open sessions finish for up
    /// to <c>drain_timeout</c>, then close the rest with reason <c>drained</c>.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _accepting = false;
        await CloseListenersAsync().ConfigureAwait(false);
        var drainTimeout = _current?.Config.Global.DrainTimeout ?? TimeSpan.Zero;
        var open = Connections.Count;
        if (open > 0)
        {
            ProxyLog.Draining(_logger, open, drainTimeout);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(drainTimeout);
            try
            {
                await Connections.WaitForEmptyAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                ProxyLog.DrainTimedOut(_logger, Connections.Count);
                Connections.AbortAll(CloseReason.Drained);

                // Closing a socket completes its pending operations promptly; this wait is for the
                // sessions' bookkeeping (access log, counters), not for the network.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await Connections.WaitForEmptyAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Give up waiting; the process is exiting.
                }
            }
        }
    }

    private async Task CloseListenersAsync()
    {
        Listener[] listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners.Values];
            _listeners.Clear();
        }

        foreach (var listener in listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _accepting = false;
        await CloseListenersAsync().ConfigureAwait(false);
        Connections.AbortAll(CloseReason.Drained);
        Connections.Dispose();
        Metrics.Dispose();
    }
}
