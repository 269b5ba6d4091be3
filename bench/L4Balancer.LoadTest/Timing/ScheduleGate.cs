using System.Threading.Tasks.Sources;

namespace L4Balancer.LoadTest.Timing;

/// <summary>
/// Where one connection waits for its next intended send time. The ticker releases operation
/// numbers in order; a connection that is already late never waits. Reusable (no allocation per
/// wait): one pending wait at a time, which is how a connection uses it.
/// The continuation runs inline on the ticker thread: it only sends (a non-blocking syscall) and
/// posts the receive, and saves a thread-pool hop (a futex wake-up and a context switch) per request.
/// </summary>
internal sealed class ScheduleGate : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private long _released = -1;
    private long _awaited;
    private bool _waiting;

    public ValueTask WaitAsync(long n)
    {
        lock (_lock)
        {
            if (_released >= n)
            {
                return ValueTask.CompletedTask;
            }

            _core.Reset();
            _awaited = n;
            _waiting = true;
            return new ValueTask(this, _core.Version);
        }
    }

    /// <summary>Operation <paramref name="n"/> (and all before it) is due; <see cref="long.MaxValue"/> opens the gate for good.</summary>
    public void Release(long n)
    {
        lock (_lock)
        {
            _released = n;
            if (!_waiting || _awaited > n)
            {
                return;
            }

            _waiting = false;
        }

        _core.SetResult(true);
    }

    public void GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
