using System.Net;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// One accepted connection on the epoll transport: the <see cref="IClientConnection"/> the flow reads the
/// hello through, and the <see cref="IRelay"/> that connects the backend and, once running, hands both
/// descriptors to a <see cref="SplicePump"/>. Every descriptor operation runs on the connection's loop
/// thread (public methods post there), so a descriptor is never used and closed on two threads at once.
/// </summary>
/// <remarks>
/// The tasks handed to the flow complete on the loop thread and run their continuations there, inline
/// (no <c>RunContinuationsAsynchronously</c>): the flow accepted on this loop takes its next step (route,
/// limits, connect, relay) in the same turn, as HAProxy's stream does on its thread. Completing them
/// asynchronously cost a thread hand-off per step, four per connection, each a futex wake of the thread
/// pool, whose workers then spun: 35 <c>sched_yield</c> calls per connection under the close load.
/// Everything the flow does between waits is non-blocking (the console log drops rather than waits).
/// </remarks>
internal sealed class EpollConnection : IClientConnection, IRelay, IEpollHandler
{
    // Both sockets are registered once, with the relay's interest, and handed to the pump as they are:
    // two epoll_ctl calls per connection instead of eight (register, unregister, register again, unregister).
    private const EpollEvents Interest = SplicePump.Interest;
    private const EpollEvents ReadEvents = EpollEvents.In | EpollEvents.ReadHangup | EpollEvents.Hangup | EpollEvents.Error;

    private readonly EpollLoop _loop;
    private readonly PipePool _pipes;
    private readonly int _clientFd;
    private readonly BackendLeg _backendLeg;
    private TaskCompletionSource? _stopped; // made when first asked for: most connections never are
    private long _clientToken = -1;
    private int _backendFd = -1;
    private long _backendToken = -1;
    private bool _clientReadable = true;
    private int _clientError;
    private Action? _onReadable;
    private Action? _onBackendWritable;
    private EpollEvents _backendEvents;
    private EpollEvents _clientSeen; // every event so far, for the pump that adopts the registration
    private EpollEvents _backendSeen;
    private IRelayOwner? _owner;
    private SplicePump? _pump;
    private LoopTimer? _deadline;
    private object? _deadlineFor;
    private bool _closed;

    /// <summary>Created on <paramref name="loop"/>'s thread by the acceptor, which owns <paramref name="fd"/> until now.</summary>
    public EpollConnection(EpollLoop loop, PipePool pipes, int fd, IPEndPoint? remote)
    {
        _loop = loop;
        _pipes = pipes;
        _clientFd = fd;
        RemoteEndPoint = remote;
        _backendLeg = new BackendLeg(this);
        _clientToken = loop.Register(fd, Interest, this);
    }

    public IPEndPoint? RemoteEndPoint { get; }

    public long BytesFromClient => Volatile.Read(ref _pump)?.BytesFromClient ?? 0;

    public long BytesFromBackend => Volatile.Read(ref _pump)?.BytesFromBackend ?? 0;

    public Task Stopped => Volatile.Read(ref _pump)?.Completion ?? StoppedBeforeRelay();

    private Task StoppedBeforeRelay()
    {
        var stopped = LazyInitializer.EnsureInitialized(ref _stopped, static () => new TaskCompletionSource());

        // Close sets _closed and then (after a full fence) completes what it finds in _stopped: either it
        // found this one, or this read sees _closed.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _closed))
        {
            stopped.TrySetResult();
        }

        return stopped.Task;
    }

    public unsafe IPEndPoint? GetLocalEndPoint()
    {
        // getsockname is harmless on any thread while the descriptor is open; the flow asks before any
        // close it could race with (connect time), and a failure only means "unknown".
        if (Volatile.Read(ref _closed))
        {
            return null;
        }

        var address = stackalloc byte[SocketAddress.MaxSize];
        var length = SocketAddress.MaxSize;
        return LinuxNative.GetSockName(_clientFd, address, &length) == 0
            ? SocketAddress.Read(new ReadOnlySpan<byte>(address, length))
            : null;
    }

    public ValueTask<int> WaitForBytesAsync(TimeSpan timeout)
    {
        var result = new TaskCompletionSource<int>();
        OnLoop(static (c, s) => c.WaitForBytes(s.timeout, s.result), (timeout, result));
        return new ValueTask<int>(result.Task);
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> destination, TimeSpan timeout)
    {
        var result = new TaskCompletionSource<int>();
        OnLoop(static (c, s) => c.Receive(s.destination, s.timeout, s.result), (destination, timeout, result));
        return new ValueTask<int>(result.Task);
    }

    public IRelay StartRelay(IRelayOwner owner)
    {
        if (Interlocked.CompareExchange(ref _owner, owner, null) is not null)
        {
            throw new InvalidOperationException("the relay of this connection has already started");
        }

        return this;
    }

    public ValueTask<BackendConnect> ConnectAsync(IPEndPoint backend, TimeSpan timeout)
    {
        var result = new TaskCompletionSource<BackendConnect>();
        OnLoop(static (c, s) => c.Connect(s.backend, s.timeout, s.result), (backend, timeout, result));
        return new ValueTask<BackendConnect>(result.Task);
    }

    public ValueTask<string?> SendToBackendAsync(ReadOnlyMemory<byte> prelude, TimeSpan timeout)
    {
        var result = new TaskCompletionSource<string?>();
        OnLoop(static (c, s) =>
        {
            c.ArmDeadline(s.timeout, s.result);
            c.SendToBackend(s.prelude, s.result);
        }, (prelude, timeout, result));
        return new ValueTask<string?>(result.Task);
    }

    private void WaitForBytes(TimeSpan timeout, TaskCompletionSource<int> result)
    {
        ArmDeadline(timeout, result);
        TryWaitForBytes(result);
    }

    private void Receive(Memory<byte> destination, TimeSpan timeout, TaskCompletionSource<int> result)
    {
        ArmDeadline(timeout, result);
        TryReceive(destination, result);
    }

    private void Connect(IPEndPoint backend, TimeSpan timeout, TaskCompletionSource<BackendConnect> result)
    {
        ArmDeadline(timeout, result);
        StartConnect(backend, result);
    }

    /// <summary>
    /// The deadline of the one wait in progress (hello, connect, PROXY header: the flow waits for one
    /// thing at a time), as a timer of the loop: one per connection, re-armed for each wait, disarmed
    /// when the wait ends. No runtime timer or cancellation source per connection.
    /// </summary>
    private void ArmDeadline(TimeSpan timeout, object waiter)
    {
        _deadline ??= new LoopTimer(static s => ((EpollConnection)s!).DeadlinePassed(), this);
        _deadlineFor = waiter;
        _loop.Arm(_deadline, timeout);
    }

    /// <summary>Before a wait's result is set (its continuation runs inline and may arm the next deadline).</summary>
    private void Disarm(object waiter)
    {
        if (ReferenceEquals(_deadlineFor, waiter))
        {
            _deadlineFor = null;
            _loop.Cancel(_deadline!);
        }
    }

    private void Complete<T>(TaskCompletionSource<T> waiter, T value)
    {
        Disarm(waiter);
        waiter.TrySetResult(value);
    }

    private void Fault<T>(TaskCompletionSource<T> waiter, Exception error)
    {
        Disarm(waiter);
        waiter.TrySetException(error);
    }

    private void DeadlinePassed()
    {
        var waiter = _deadlineFor;
        _deadlineFor = null;
        switch (waiter)
        {
            case TaskCompletionSource<int> read:
                _onReadable = null;
                read.TrySetException(new TimeoutException());
                break;
            case TaskCompletionSource<BackendConnect> connect:
                CloseBackend(); // drops the pending connect with its socket
                connect.TrySetResult(new BackendConnect(BackendConnectStatus.Failed, "timeout"));
                break;
            case TaskCompletionSource<string?> send:
                CloseBackend();
                send.TrySetResult("timeout");
                break;
        }
    }

    public Task RunAsync(ReadOnlyMemory<byte> clientPrelude, IDisposable? preludeOwner, BandwidthThrottle? toBackend, BandwidthThrottle? toClient)
    {
        var owner = _owner ?? throw new InvalidOperationException("StartRelay first");
        if (Volatile.Read(ref _closed))
        {
            preludeOwner?.Dispose(); // aborted after the connect: nothing to relay
            return Task.CompletedTask;
        }

        var backendFd = _backendFd;
        if (backendFd < 0)
        {
            throw new InvalidOperationException("no backend leg is connected");
        }

        // The pump's own completion is the relay's task: no task or state machine of its own per connection.
        var pump = new SplicePump(_loop, _pipes, owner, _clientFd, backendFd);
        OnLoop(
            static (c, s) => c.StartPump(s.pump, s.clientPrelude, s.preludeOwner, s.toBackend, s.toClient),
            (pump, clientPrelude, preludeOwner, toBackend, toClient));
        return pump.Completion;
    }

    /// <summary>
    /// Runs <paramref name="action"/> now when called on the loop (the common case: the flow runs there,
    /// see the remarks above), with <paramref name="state"/> unboxed; else posts it there, boxed once.
    /// Either way it runs on the loop thread.
    /// </summary>
    private void OnLoop<TState>(Action<EpollConnection, TState> action, TState state)
    {
        if (_loop.IsOnLoop)
        {
            action(this, state);
        }
        else
        {
            _loop.Post(static s =>
            {
                var (connection, action, state) = ((EpollConnection, Action<EpollConnection, TState>, TState))s!;
                action(connection, state);
            }, (this, action, state));
        }
    }

    public void Abort(bool reset) => OnLoop(static (c, reset) => c.Close(reset), reset);

    public void Dispose() => Abort(reset: false);

    public void OnEvents(EpollEvents events)
    {
        _clientSeen |= events;
        if (_closed)
        {
            return;
        }

        if ((events & EpollEvents.Error) != 0 && LinuxNative.PendingError(_clientFd) is not 0 and var error)
        {
            // A reset while the flow reads the hello (its pending read reports it), decides or connects.
            _clientError = error;
            if (_owner is { } owner)
            {
                owner.OnPeerFailed(RelaySide.Client);
                return;
            }
        }

        if ((events & ReadEvents) == 0)
        {
            return; // writable: nothing is sent to the client before the relay
        }

        _clientReadable = true;
        if (_onReadable is { } waiting)
        {
            _onReadable = null;
            waiting();
        }
    }

    /// <summary>A read asked for after an abort or a client reset ends at once, as on a closed or reset socket.</summary>
    private bool EndedBeforeRead(TaskCompletionSource<int> result)
    {
        if (_closed)
        {
            Fault(result, new ObjectDisposedException(nameof(EpollConnection)));
            return true;
        }

        if (_clientError != 0)
        {
            Fault(result, new PeerFailedException(LinuxNative.ErrorName(_clientError)));
            return true;
        }

        return false;
    }

    private unsafe void TryWaitForBytes(TaskCompletionSource<int> result)
    {
        if (EndedBeforeRead(result))
        {
            return;
        }

        byte probe;
        var n = _clientReadable ? LinuxNative.Recv(_clientFd, &probe, 1, LinuxNative.MsgDontWait | LinuxNative.MsgPeek) : -1;
        if (n == 0)
        {
            Complete(result, 0); // end of stream
        }
        else if (n > 0)
        {
            var available = 0;
            _ = LinuxNative.Ioctl(_clientFd, LinuxNative.FionRead, &available);
            Complete(result, Math.Max(1, available));
        }
        else if (!_clientReadable || LinuxNative.Errno == LinuxNative.EAGAIN)
        {
            _clientReadable = false;
            _onReadable = () => TryWaitForBytes(result);
        }
        else
        {
            Fault(result, new PeerFailedException(LinuxNative.ErrorName(LinuxNative.Errno)));
        }
    }

    private unsafe void TryReceive(Memory<byte> destination, TaskCompletionSource<int> result)
    {
        if (EndedBeforeRead(result))
        {
            return;
        }

        nint n;
        using (var pin = destination.Pin())
        {
            n = LinuxNative.Recv(_clientFd, (byte*)pin.Pointer, destination.Length, LinuxNative.MsgDontWait);
        }

        if (n >= 0)
        {
            Complete(result, (int)n);
        }
        else if (LinuxNative.Errno == LinuxNative.EAGAIN)
        {
            _clientReadable = false;
            _onReadable = () => TryReceive(destination, result);
        }
        else
        {
            Fault(result, new PeerFailedException(LinuxNative.ErrorName(LinuxNative.Errno)));
        }
    }

    private unsafe void StartConnect(IPEndPoint backend, TaskCompletionSource<BackendConnect> result)
    {
        if (_closed)
        {
            Complete(result, new BackendConnect(BackendConnectStatus.Failed, "aborted"));
            return;
        }

        CloseBackend();
        var family = backend.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? LinuxNative.AfInet : LinuxNative.AfInet6;
        var fd = LinuxNative.Socket(family, LinuxNative.SockStream | LinuxNative.SockNonblock | LinuxNative.SockCloexec, 0);
        if (fd < 0)
        {
            var errno = LinuxNative.Errno;
            Complete(result, new BackendConnect(BackendConnectStatus.NoSocket, LinuxNative.ErrorName(errno), errno is LinuxNative.EMFILE or LinuxNative.ENFILE));
            return;
        }

        LinuxNative.SetNoDelay(fd);
        _backendFd = fd;
        _backendSeen = 0;
        var address = stackalloc byte[SocketAddress.MaxSize];
        var length = SocketAddress.Write(backend, new Span<byte>(address, SocketAddress.MaxSize));
        if (LinuxNative.Connect(fd, address, length) == 0)
        {
            Complete(result, BackendConnect.Connected);
            return;
        }

        var error = LinuxNative.Errno;
        if (error != LinuxNative.EINPROGRESS)
        {
            CloseBackend();
            Complete(result, new BackendConnect(BackendConnectStatus.Failed, LinuxNative.ErrorName(error)));
            return;
        }

        _backendToken = _loop.Register(fd, Interest, _backendLeg);
        _onBackendWritable = () =>
        {
            // Writable without an error is connected (HAProxy does not ask SO_ERROR then either: a refused
            // or unreachable connect raises EPOLLERR). Closed under the wait (Close runs this), the
            // descriptor number may already belong to another socket: it is not touched.
            var pending = _closed ? LinuxNative.ECONNABORTED
                : (_backendEvents & (EpollEvents.Error | EpollEvents.Hangup)) == 0 ? 0
                : LinuxNative.PendingError(fd);

            if (pending == 0)
            {
                Complete(result, BackendConnect.Connected);
            }
            else
            {
                CloseBackend();
                Complete(result, new BackendConnect(BackendConnectStatus.Failed, LinuxNative.ErrorName(pending)));
            }
        };
    }

    private unsafe void SendToBackend(ReadOnlyMemory<byte> prelude, TaskCompletionSource<string?> result)
    {
        if (_closed || _backendFd < 0)
        {
            Complete(result, "aborted");
            return;
        }

        while (!prelude.IsEmpty)
        {
            nint n;
            using (var pin = prelude.Pin())
            {
                n = LinuxNative.Send(_backendFd, (byte*)pin.Pointer, prelude.Length, LinuxNative.MsgNoSignal);
            }

            if (n >= 0)
            {
                prelude = prelude[(int)n..];
                continue;
            }

            var error = LinuxNative.Errno;
            if (error == LinuxNative.EAGAIN)
            {
                var rest = prelude;
                _onBackendWritable = () => SendToBackend(rest, result);
                return;
            }

            CloseBackend();
            Complete(result, LinuxNative.ErrorName(error));
            return;
        }

        Complete(result, null);
    }

    private void OnBackendEvents(EpollEvents events)
    {
        _backendSeen |= events;
        if (_closed || _onBackendWritable is not { } waiting)
        {
            return;
        }

        if ((events & (EpollEvents.Out | EpollEvents.Error | EpollEvents.Hangup)) != 0)
        {
            _onBackendWritable = null;
            _backendEvents = events;
            waiting();
        }
    }

    private void StartPump(SplicePump pump, ReadOnlyMemory<byte> prelude, IDisposable? preludeOwner, BandwidthThrottle? toBackend, BandwidthThrottle? toClient)
    {
        // The pump takes both registrations over (a failed registration left a token < 0: the pump then
        // tries itself and reports the failure).
        if (_clientToken >= 0 && _backendToken >= 0)
        {
            pump.Adopt(_clientToken, _clientSeen, _backendToken, _backendSeen);
        }
        else
        {
            UnregisterBoth();
        }

        _clientToken = _backendToken = -1;
        if (_closed)
        {
            // Aborted between RunAsync and here: Close has closed both sockets already (there was no pump
            // to hand them to), and their numbers may belong to new sockets by now: not touched again.
            pump.Abandon(preludeOwner);
            return;
        }

        if (_deadline is { IsArmed: false })
        {
            _deadline = null; // the waits are over: an idle relay does not keep the timer
        }

        Volatile.Write(ref _pump, pump);
        pump.Start(prelude, toBackend, toClient, preludeOwner);
    }

    /// <summary>Before a pump that registers the sockets itself: the registrations made here go first.</summary>
    private void UnregisterBoth()
    {
        if (_clientToken >= 0)
        {
            _loop.Unregister(_clientFd, _clientToken);
        }

        if (_backendToken >= 0)
        {
            _loop.Unregister(_backendFd, _backendToken);
        }
    }

    private void CloseBackend()
    {
        _onBackendWritable = null;
        if (_backendFd < 0)
        {
            return;
        }

        if (_backendToken >= 0)
        {
            _loop.Forget(_backendToken); // closing removes it from epoll
            _backendToken = -1;
        }

        _ = LinuxNative.Close(_backendFd);
        _backendFd = -1;
    }

    private void Close(bool reset)
    {
        if (_closed)
        {
            return;
        }

        Volatile.Write(ref _closed, true);
        Interlocked.MemoryBarrier(); // before _stopped is read at the end (see StoppedBeforeRelay)
        _loop.RemoveConnection();
        var readWaiter = _onReadable;
        var writeWaiter = _onBackendWritable;
        _onReadable = null;
        _onBackendWritable = null;
        if (_pump is { } pump)
        {
            pump.Close(reset); // it owns both descriptors now
        }
        else
        {
            if (_clientToken >= 0)
            {
                _loop.Forget(_clientToken); // closing removes it from epoll
                _clientToken = -1;
            }

            LinuxNative.CloseSocket(_clientFd, reset, finSent: false);
            if (_backendFd >= 0 && reset)
            {
                LinuxNative.SetLingerZero(_backendFd);
            }

            CloseBackend();
        }

        // Pending waits end as the sockets transport's do when their socket is closed under them.
        readWaiter?.Invoke();
        writeWaiter?.Invoke();
        if (_deadline is { IsArmed: true } deadline)
        {
            _loop.Cancel(deadline); // a closed connection leaves nothing in the loop's heap
        }

        _deadlineFor = null;
        Volatile.Read(ref _stopped)?.TrySetResult();
    }

    private sealed class BackendLeg(EpollConnection connection) : IEpollHandler
    {
        public void OnEvents(EpollEvents events) => connection.OnBackendEvents(events);
    }
}
