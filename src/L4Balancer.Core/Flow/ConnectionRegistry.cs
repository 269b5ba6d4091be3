using System.Collections.Concurrent;
using L4Balancer.Core.Model;

namespace L4Balancer.Core.Flow;

/// <summary>
/// The open sessions: for drain, for the admin view, and for the idle timeout. One timer scans every
/// session once per <c>scanInterval</c> instead of one timer per session (HAProxy's and nginx's
/// timeouts are coarse in the same way): 50 000 idle connections then cost no timer objects at all.
/// </summary>
internal sealed class ConnectionRegistry : IDisposable
{
    private readonly ConcurrentDictionary<long, ConnectionFlow> _sessions = new();
    private readonly TimeProvider _timeProvider;
    private readonly ITimer _idleTimer;
    private TaskCompletionSource? _emptySignal;
    private int _count;

    public ConnectionRegistry(TimeProvider timeProvider, TimeSpan scanInterval)
    {
        _timeProvider = timeProvider;
        _idleTimer = timeProvider.CreateTimer(static s => ((ConnectionRegistry)s!).ScanIdle(), this, scanInterval, scanInterval);
    }

    /// <summary>Open sessions. Kept apart: <c>ConcurrentDictionary.Count</c> takes every lock of the dictionary.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// The open sessions, enumerated without locks (<c>ConcurrentDictionary.Values</c> would take every
    /// lock of the dictionary and copy it), so a scrape, an idle scan or a drain never stalls accepts.
    /// A session added or removed meanwhile may or may not be seen.
    /// </summary>
    public IEnumerable<ConnectionFlow> Enumerate()
    {
        foreach (var entry in _sessions)
        {
            yield return entry.Value;
        }
    }

    public void Add(ConnectionFlow session)
    {
        if (_sessions.TryAdd(session.Id, session))
        {
            Interlocked.Increment(ref _count);
        }
    }

    public void Remove(ConnectionFlow session)
    {
        if (!_sessions.TryRemove(session.Id, out _))
        {
            return;
        }

        Interlocked.Decrement(ref _count);

        // The dictionary, not the count, decides: an Add between its TryAdd and its increment must not
        // let a drain see the registry empty.
        if (_sessions.IsEmpty)
        {
            Volatile.Read(ref _emptySignal)?.TrySetResult();
        }
    }

    /// <summary>Completes when no session is open (or the token fires).</summary>
    public Task WaitForEmptyAsync(CancellationToken cancellationToken)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _emptySignal, signal);

        // Checked after publishing the signal, so a Remove racing with this call cannot be missed.
        if (_sessions.IsEmpty)
        {
            signal.TrySetResult();
        }

        return signal.Task.WaitAsync(cancellationToken);
    }

    public void AbortAll(CloseReason reason)
    {
        foreach (var session in Enumerate())
        {
            session.Abort(reason, reset: false);
        }
    }

    private void ScanIdle()
    {
        var now = _timeProvider.GetTimestamp();
        foreach (var session in Enumerate())
        {
            session.CheckIdle(now);
        }
    }

    public void Dispose() => _idleTimer.Dispose();
}
