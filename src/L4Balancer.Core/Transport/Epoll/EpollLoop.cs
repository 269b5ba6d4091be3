using System.Collections.Concurrent;
using System.ComponentModel;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// One event-loop thread with its own epoll instance (HAProxy's and nginx's model): descriptors are
/// registered edge-triggered with an <see cref="IEpollHandler"/>, work from other threads is posted and
/// wakes the loop through an eventfd, and deadlines are <see cref="LoopTimer"/>s in a heap that sets
/// epoll_wait's timeout, so a connection's timeouts cost no timer object of the runtime. A turn handles
/// everything epoll returned (up to <see cref="MaxEvents"/>), then posted work, then due timers.
/// </summary>
/// <remarks>
/// Registration uses a slot table, not a dictionary: epoll's 64-bit user data carries the slot and a
/// generation, so an event still queued for a descriptor closed earlier in the same turn is recognised
/// and dropped instead of reaching whatever took its slot.
/// </remarks>
internal sealed unsafe class EpollLoop : IDisposable
{
    public const int MaxEvents = 256;

    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int EpollCtlMod = 3;
    private const int EpollCloexec = LinuxNative.OCloexec;
    private const int EventFdNonblock = LinuxNative.ONonblock;
    private const int EventFdCloexec = LinuxNative.OCloexec;
    private const ulong WakeToken = ulong.MaxValue;
    private const int TestClockPollMs = 10;

    private readonly TimeProvider _time;
    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _posted = new();
    private readonly TimerHeap _timers = new();
    private readonly Stack<int> _freeSlots = new();
    private IEpollHandler?[] _handlers = new IEpollHandler?[64];
    private uint[] _generations = new uint[64];
    private int _slotCount;
    private int _wakePending;
    private int _stopping;
    private int _posters;
    private int _threadId;
    private int _connections;

    public EpollLoop(string name, TimeProvider time)
    {
        _time = time;
        _epoll = LinuxNative.EpollCreate1(EpollCloexec);
        if (_epoll < 0)
        {
            throw new Win32Exception(LinuxNative.Errno, "epoll_create1 failed");
        }

        _wake = LinuxNative.EventFd(0, EventFdNonblock | EventFdCloexec);
        if (_wake < 0)
        {
            var errno = LinuxNative.Errno;
            LinuxNative.Close(_epoll);
            throw new Win32Exception(errno, "eventfd failed");
        }

        var ev = stackalloc byte[16];
        EpollEventLayout.Write(ev, EpollEvents.In, WakeToken);
        if (LinuxNative.EpollCtl(_epoll, EpollCtlAdd, _wake, ev) != 0)
        {
            var errno = LinuxNative.Errno;
            LinuxNative.Close(_wake);
            LinuxNative.Close(_epoll);
            throw new Win32Exception(errno, "epoll_ctl(eventfd) failed");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public TimeProvider Time => _time;

    /// <summary>True on this loop's own thread: the only thread that may register, arm timers or touch its handlers' state.</summary>
    public bool IsOnLoop => Environment.CurrentManagedThreadId == Volatile.Read(ref _threadId);

    /// <summary>Connections this loop serves or has been handed (the acceptors balance by it). Any thread.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public void AddConnection() => Interlocked.Increment(ref _connections);

    public void RemoveConnection() => Interlocked.Decrement(ref _connections);

    /// <summary>Turns the loop has made (for tests and diagnostics).</summary>
    public long Turns { get; private set; }

    /// <summary>Registers <paramref name="fd"/>; returns the token that <see cref="Modify"/> and <see cref="Unregister"/> take. Loop thread only.</summary>
    /// <returns>The token, or -errno when epoll refused the descriptor.</returns>
    public long Register(int fd, EpollEvents events, IEpollHandler handler)
    {
        AssertOnLoop();
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NewSlot();
        _handlers[slot] = handler;
        var token = ((ulong)_generations[slot] << 32) | (uint)slot;
        var ev = stackalloc byte[16];
        EpollEventLayout.Write(ev, events, token);
        if (LinuxNative.EpollCtl(_epoll, EpollCtlAdd, fd, ev) != 0)
        {
            var errno = LinuxNative.Errno;
            Release(slot);
            return -errno;
        }

        return (long)token;
    }

    /// <summary>Changes the events <paramref name="fd"/> is watched for. Loop thread only.</summary>
    public bool Modify(int fd, long token, EpollEvents events)
    {
        AssertOnLoop();
        var ev = stackalloc byte[16];
        EpollEventLayout.Write(ev, events, (ulong)token);
        return LinuxNative.EpollCtl(_epoll, EpollCtlMod, fd, ev) == 0;
    }

    /// <summary>Stops watching <paramref name="fd"/> (call before closing it). Loop thread only.</summary>
    public void Unregister(int fd, long token)
    {
        AssertOnLoop();
        _ = LinuxNative.EpollCtl(_epoll, EpollCtlDel, fd, null);
        Forget(token);
    }

    /// <summary>
    /// Hands a registration to another handler (a connection's socket passing to its relay), keeping its
    /// token and its interest: no system call, where unregistering and registering again would cost two.
    /// Loop thread only.
    /// </summary>
    public void Rebind(long token, IEpollHandler handler)
    {
        AssertOnLoop();
        var slot = (int)((ulong)token & 0xffff_ffff);
        if (slot >= _slotCount || _generations[slot] != (uint)((ulong)token >> 32))
        {
            throw new InvalidOperationException("the registration is gone");
        }

        _handlers[slot] = handler;
    }

    /// <summary>
    /// Drops a registration whose descriptor the caller closes right after: closing the last reference to
    /// a socket removes it from epoll, so the EPOLL_CTL_DEL that <see cref="Unregister"/> makes is saved.
    /// An event already queued for it carries the old generation and is dropped. Loop thread only.
    /// </summary>
    public void Forget(long token)
    {
        AssertOnLoop();
        var slot = (int)((ulong)token & 0xffff_ffff);
        if (slot < _slotCount && _generations[slot] == (uint)((ulong)token >> 32))
        {
            Release(slot);
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop's thread soon. Any thread.</summary>
    public void Post(Action<object?> action, object? state)
    {
        _posted.Enqueue((action, state));
        if (IsOnLoop)
        {
            return; // the loop looks at the queue before it waits again: no wake-up needed
        }

        // Counted while it may write to the eventfd: Dispose closes that descriptor only once no Post is
        // between its check and its write. A write after the close would land in whatever descriptor
        // took the number next (8 bytes in another connection's stream: seen in the test suite, where
        // engines start and stop side by side).
        Interlocked.Increment(ref _posters);
        try
        {
            if (Volatile.Read(ref _stopping) == 0 && Interlocked.Exchange(ref _wakePending, 1) == 0)
            {
                ulong one = 1;
                _ = LinuxNative.Write(_wake, (byte*)&one, sizeof(ulong));
            }
        }
        finally
        {
            Interlocked.Decrement(ref _posters);
        }
    }

    /// <summary>Arms (or re-arms) <paramref name="timer"/> to fire <paramref name="delay"/> from now. Loop thread only.</summary>
    public void Arm(LoopTimer timer, TimeSpan delay)
    {
        AssertOnLoop();
        _timers.Arm(timer, _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency));
    }

    /// <summary>Disarms <paramref name="timer"/>; nothing happens if it is not armed. Loop thread only.</summary>
    public void Cancel(LoopTimer timer)
    {
        AssertOnLoop();
        _timers.Cancel(timer);
    }

    private int NewSlot()
    {
        if (_slotCount == _handlers.Length)
        {
            Array.Resize(ref _handlers, _slotCount * 2);
            Array.Resize(ref _generations, _slotCount * 2);
        }

        return _slotCount++;
    }

    private void Release(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _freeSlots.Push(slot);
    }

    private void Run()
    {
        Volatile.Write(ref _threadId, Environment.CurrentManagedThreadId);
        var size = EpollEventLayout.Size;
        var events = stackalloc byte[MaxEvents * size];
        while (Volatile.Read(ref _stopping) == 0)
        {
            var n = LinuxNative.EpollWait(_epoll, events, MaxEvents, WaitTimeoutMs());
            if (n < 0 && LinuxNative.Errno != LinuxNative.EINTR)
            {
                // EBADF/EINVAL: the epoll descriptor is gone (disposal); nothing else can be done here.
                break;
            }

            Turns++;
            for (var i = 0; i < n; i++)
            {
                var slotEvent = events + (i * size);
                var token = EpollEventLayout.Data(slotEvent);
                if (token == WakeToken)
                {
                    DrainWake();
                    continue;
                }

                var slot = (int)(token & 0xffff_ffff);
                if (slot < _slotCount && _generations[slot] == (uint)(token >> 32) && _handlers[slot] is { } handler)
                {
                    handler.OnEvents(EpollEventLayout.Events(slotEvent));
                }
            }

            RunPosted();
            RunTimers();
        }

        // Work posted before Dispose (a connection's close) still runs, so its descriptors are closed.
        RunPosted();
    }

    private int WaitTimeoutMs()
    {
        if (!_posted.IsEmpty)
        {
            return 0;
        }

        if (_timers.Peek() is not { } next)
        {
            return -1;
        }

        var ticks = next.Due - _time.GetTimestamp();
        if (ticks <= 0)
        {
            return 0;
        }

        // Rounded up: waking a millisecond early would only spin once more.
        var ms = Math.Ceiling(ticks * 1000.0 / _time.TimestampFrequency);
        var wait = ms >= int.MaxValue ? int.MaxValue : (int)ms;

        // A test's clock moves when the test says, not with the wall clock that epoll_wait counts in: the
        // loop then looks at it every few milliseconds while a timer is armed.
        return _time == TimeProvider.System ? wait : Math.Min(wait, TestClockPollMs);
    }

    private void DrainWake()
    {
        ulong value;
        _ = LinuxNative.Read(_wake, (byte*)&value, sizeof(ulong));

        // Cleared before the queue is read: a Post racing with this turn either is seen below or writes again.
        Volatile.Write(ref _wakePending, 0);
    }

    private void RunPosted()
    {
        // Bounded by what is queued now: work posted by this work waits for the next turn, so a
        // chain of posts cannot starve the descriptors.
        for (var count = _posted.Count; count > 0 && _posted.TryDequeue(out var work); count--)
        {
            work.Action(work.State);
        }
    }

    private void RunTimers()
    {
        var now = _time.GetTimestamp();
        while (_timers.PopDue(now) is { } timer)
        {
            timer.Callback(timer.State);
        }
    }

    private void AssertOnLoop()
    {
        if (!IsOnLoop)
        {
            throw new InvalidOperationException("called off the event loop's thread");
        }
    }

    /// <summary>Stops the thread and closes the epoll and eventfd descriptors (not the registered ones).</summary>
    public void Dispose()
    {
        // A full fence before _posters is read below: a Post counted after it sees the flag and does not write.
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        ulong one = 1;
        _ = LinuxNative.Write(_wake, (byte*)&one, sizeof(ulong));
        if (!IsOnLoop)
        {
            _thread.Join();
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref _posters) != 0)
        {
            spin.SpinOnce(); // a Post between its check and its write: a few instructions
        }

        LinuxNative.Close(_wake);
        LinuxNative.Close(_epoll);
    }
}
