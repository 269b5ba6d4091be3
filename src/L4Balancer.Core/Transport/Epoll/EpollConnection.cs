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
    private readonly TaskCompletionSource _stopped = new();
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

    public Task Stopped => Volatile.Read(ref _pump)?.Completion ?? _stopped.Task;

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

    public async ValueTask<int> WaitForBytesAsync(CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<int>();
        _loop.Post(static s =>
        {
            var (connection, result) = ((EpollConnection, TaskCompletionSource<int>))s!;
            connection.TryWaitForBytes(result);
        }, (this, result));
        return await result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<int>();
        _loop.Post(static s =>
        {
            var (connection, destination, result) = ((EpollConnection, Memory<byte>, TaskCompletionSource<int>))s!;
            connection.TryReceive(destination, result);
        }, (this, destination, result));
        return await result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public IRelay StartRelay(IRelayOwner owner)
    {
        if (Interlocked.CompareExchange(ref _owner, owner, null) is not null)
        {
            throw new InvalidOperationException("the relay of this connection has already started");
        }

        return this;
    }

    public async ValueTask<BackendConnect> ConnectAsync(IPEndPoint backend, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<BackendConnect>();
        _loop.Post(static s =>
        {
            var (connection, backend, result) = ((EpollConnection, IPEndPoint, TaskCompletionSource<BackendConnect>))s!;
            connection.StartConnect(backend, result);
        }, (this, backend, result));
        try
        {
            return await result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connect timed out (or the flow aborted): close the attempt on the loop; a completion
            // racing with this is dropped with it.
            _loop.Post(static s => ((EpollConnection)s!).CloseBackend(), this);
            return new BackendConnect(BackendConnectStatus.Failed, "timeout");
        }
    }

    public async ValueTask<string?> SendToBackendAsync(ReadOnlyMemory<byte> prelude, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<string?>();
        _loop.Post(static s =>
        {
            var (connection, prelude, result) = ((EpollConnection, ReadOnlyMemory<byte>, TaskCompletionSource<string?>))s!;
            connection.SendToBackend(prelude, result);
        }, (this, prelude, result));
        try
        {
            return await result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _loop.Post(static s => ((EpollConnection)s!).CloseBackend(), this);
            return "timeout";
        }
    }

    public Task RunAsync(ReadOnlyMemory<byte> clientPrelude, IDisposable? preludeOwner, BandwidthThrottle? toBackend, BandwidthThrottle? toClient)
    {
        var owner = _owner ?? throw new InvalidOperationException("StartRelay first");
        var backendFd = _backendFd;
        if (backendFd < 0)
        {
            throw new InvalidOperationException("no backend leg is connected");
        }

        var pump = new SplicePump(_loop, _pipes, owner, _clientFd, backendFd);
        var started = new TaskCompletionSource();
        _loop.Post(static s =>
        {
            var (connection, pump, prelude, throttles, started) = ((EpollConnection, SplicePump, ReadOnlyMemory<byte>, (BandwidthThrottle?, BandwidthThrottle?), TaskCompletionSource))s!;
            connection.StartPump(pump, prelude, throttles.Item1, throttles.Item2);
            started.SetResult();
        }, (this, pump, clientPrelude, (toBackend, toClient), started));
        return RunCoreAsync(started.Task, pump, preludeOwner);
    }

    private static async Task RunCoreAsync(Task started, SplicePump pump, IDisposable? preludeOwner)
    {
        try
        {
            await started.ConfigureAwait(false);
            await pump.Completion.ConfigureAwait(false);
        }
        finally
        {
            preludeOwner?.Dispose();
        }
    }

    public void Abort(bool reset) => _loop.Post(reset ? static s => ((EpollConnection)s!).Close(true) : static s => ((EpollConnection)s!).Close(false), this);

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
            result.TrySetException(new ObjectDisposedException(nameof(EpollConnection)));
            return true;
        }

        if (_clientError != 0)
        {
            result.TrySetException(new PeerFailedException(LinuxNative.ErrorName(_clientError)));
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
            result.TrySetResult(0); // end of stream
        }
        else if (n > 0)
        {
            var available = 0;
            _ = LinuxNative.Ioctl(_clientFd, LinuxNative.FionRead, &available);
            result.TrySetResult(Math.Max(1, available));
        }
        else if (!_clientReadable || LinuxNative.Errno == LinuxNative.EAGAIN)
        {
            _clientReadable = false;
            _onReadable = () => TryWaitForBytes(result);
        }
        else
        {
            result.TrySetException(new PeerFailedException(LinuxNative.ErrorName(LinuxNative.Errno)));
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
            result.TrySetResult((int)n);
        }
        else if (LinuxNative.Errno == LinuxNative.EAGAIN)
        {
            _clientReadable = false;
            _onReadable = () => TryReceive(destination, result);
        }
        else
        {
            result.TrySetException(new PeerFailedException(LinuxNative.ErrorName(LinuxNative.Errno)));
        }
    }

    private unsafe void StartConnect(IPEndPoint backend, TaskCompletionSource<BackendConnect> result)
    {
        if (_closed)
        {
            result.TrySetResult(new BackendConnect(BackendConnectStatus.Failed, "aborted"));
            return;
        }

        CloseBackend();
        var family = backend.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? LinuxNative.AfInet : LinuxNative.AfInet6;
        var fd = LinuxNative.Socket(family, LinuxNative.SockStream | LinuxNative.SockNonblock | LinuxNative.SockCloexec, 0);
        if (fd < 0)
        {
            var errno = LinuxNative.Errno;
            result.TrySetResult(new BackendConnect(BackendConnectStatus.NoSocket, LinuxNative.ErrorName(errno), errno is LinuxNative.EMFILE or LinuxNative.ENFILE));
            return;
        }

        LinuxNative.SetNoDelay(fd);
        _backendFd = fd;
        _backendSeen = 0;
        var address = stackalloc byte[SocketAddress.MaxSize];
        var length = SocketAddress.Write(backend, new Span<byte>(address, SocketAddress.MaxSize));
        if (LinuxNative.Connect(fd, address, length) == 0)
        {
            result.TrySetResult(BackendConnect.Connected);
            return;
        }

        var error = LinuxNative.Errno;
        if (error != LinuxNative.EINPROGRESS)
        {
            CloseBackend();
            result.TrySetResult(new BackendConnect(BackendConnectStatus.Failed, LinuxNative.ErrorName(error)));
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
                result.TrySetResult(BackendConnect.Connected);
            }
            else
            {
                CloseBackend();
                result.TrySetResult(new BackendConnect(BackendConnectStatus.Failed, LinuxNative.ErrorName(pending)));
            }
        };
    }

    private unsafe void SendToBackend(ReadOnlyMemory<byte> prelude, TaskCompletionSource<string?> result)
    {
        if (_closed || _backendFd < 0)
        {
            result.TrySetResult("aborted");
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
            result.TrySetResult(LinuxNative.ErrorName(error));
            return;
        }

        result.TrySetResult(null);
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

    private void StartPump(SplicePump pump, ReadOnlyMemory<byte> prelude, BandwidthThrottle? toBackend, BandwidthThrottle? toClient)
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
        Volatile.Write(ref _pump, pump);
        if (_closed)
        {
            pump.Close(reset: false);
            return;
        }

        pump.Start(prelude, toBackend, toClient);
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

            if (reset)
            {
                LinuxNative.SetLingerZero(_clientFd);
            }
            else
            {
                _ = LinuxNative.Shutdown(_clientFd, LinuxNative.ShutBoth);
            }

            _ = LinuxNative.Close(_clientFd);
            if (_backendFd >= 0 && reset)
            {
                LinuxNative.SetLingerZero(_backendFd);
            }

            CloseBackend();
        }

        // Pending waits end as the sockets transport's do when their socket is closed under them.
        readWaiter?.Invoke();
        writeWaiter?.Invoke();
        _stopped.TrySetResult();
    }

    private sealed class BackendLeg(EpollConnection connection) : IEpollHandler
    {
        public void OnEvents(EpollEvents events) => connection.OnBackendEvents(events);
    }
}
