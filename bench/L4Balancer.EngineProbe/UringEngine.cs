using System.ComponentModel;
using System.Runtime.InteropServices;

namespace L4Balancer.EngineProbe;

/// <summary>
/// The io_uring engine. Per thread one ring, created on the thread (IORING_SETUP_SINGLE_ISSUER requires
/// it). A multishot accept on the thread's listener; per connection IORING_OP_CONNECT, then per direction
/// IORING_OP_RECV into the direction's own 16 KiB buffer and IORING_OP_SEND of what came, driven by the
/// same state machine as the epoll engine (<see cref="Relay"/>). FIN is passed on with shutdown(2) (see
/// <see cref="Relay.PassFin"/>) and the sockets closed with IORING_OP_CLOSE, CQE_SKIP_SUCCESS (no completion unless it fails). Each loop
/// turn is one io_uring_enter that submits everything the previous turn's completions queued and waits
/// for at least one completion.
/// <para>
/// With <c>multishot</c> (<c>--engine uring-multishot</c>) each direction instead keeps one multishot
/// IORING_OP_RECV armed with IOSQE_BUFFER_SELECT on a provided-buffer ring: the kernel fills pool buffers
/// as data arrives and the direction sends them in order (a FIFO linked by buffer id), returning each to
/// the ring once sent. No per-connection buffers; backpressure is the pool: when it runs dry the kernel
/// ends the receive with ENOBUFS and the direction is re-armed once buffers come back.
/// </para>
/// On an error the session's sockets are shut down both ways (which completes whatever is in flight on
/// them) and closed when its last operation has completed, so no completion can reach a reused slot.
/// </summary>
internal sealed unsafe class UringEngine : IEngineLoop
{
    private const uint SqEntries = 4096;
    private const uint CqEntries = 16384;
    private const ushort BufferGroup = 0;
    private const int UnparkWhenFree = 16;

    /// <summary>Provided buffers per thread (16 MiB); PROBE_POOL_BUFFERS (a power of two) shrinks it to exercise the ENOBUFS path.</summary>
    private static readonly int PoolBuffers = int.TryParse(Environment.GetEnvironmentVariable("PROBE_POOL_BUFFERS"), out var n) ? n : 1024;

    private readonly int _listener;
    private readonly byte* _backendAddress;
    private readonly bool _multishot;
    private readonly UringSetup _setup;
    private readonly SessionTable _sessions;
    private readonly int _wake;
    private readonly byte* _wakeBuffer;
    private readonly Queue<(int Index, uint Generation, bool Up)> _parked = new();
    private readonly ManualResetEventSlim _ready = new();
    private Ring? _ring;
    private BufferRing? _pool;
    private int[] _nextBid = [];
    private int[] _bidLength = [];
    private Exception? _startError;
    private volatile bool _stopping;

    public UringEngine(int listener, ReadOnlySpan<byte> backendAddress, bool multishot, UringSetup setup)
    {
        _listener = listener;
        _multishot = multishot;
        _setup = setup;
        _sessions = new SessionTable(ownBuffers: !multishot);
        _backendAddress = (byte*)NativeMemory.Alloc(16);
        backendAddress.CopyTo(new Span<byte>(_backendAddress, 16));
        _wakeBuffer = (byte*)NativeMemory.Alloc(8);
        _wake = Native.EventFd(0, Native.EfdCloexec);
        if (_wake < 0)
        {
            throw new Win32Exception(Native.Errno, "eventfd failed");
        }
    }

    public int LiveSessions => _sessions.Live;

    /// <summary>Waits until the loop thread set up its ring; rethrows what went wrong there (e.g. io_uring disabled).</summary>
    public void WaitReady()
    {
        _ready.Wait();
        if (_startError is not null)
        {
            throw new InvalidOperationException($"io_uring engine failed to start: {_startError.Message}", _startError);
        }
    }

    public static uint SetupFlags(UringSetup setup) => setup switch
    {
        UringSetup.Coop => Uring.SetupSingleIssuer | Uring.SetupCoopTaskrun,
        UringSetup.Defer => Uring.SetupSingleIssuer | Uring.SetupDeferTaskrun,
        _ => 0,
    };

    public void Run()
    {
        try
        {
            _ring = new Ring(SqEntries, CqEntries, SetupFlags(_setup));
            if (_multishot)
            {
                _pool = new BufferRing(_ring, BufferGroup, PoolBuffers);
                _nextBid = new int[PoolBuffers];
                _bidLength = new int[PoolBuffers];
            }
        }
        catch (Exception e)
        {
            _startError = e;
            _ready.Set();
            return;
        }

        _ready.Set();
        var ring = _ring;
        ArmAccept();
        ArmWake();
        while (!_stopping)
        {
            ring.SubmitAndWait(1);
            ring.Ready(out var head, out var tail);
            for (var i = head; i != tail; i++)
            {
                var cqe = ring.Cqe(i);
                var userData = *(ulong*)cqe;
                var res = *(int*)(cqe + 8);
                var flags = *(uint*)(cqe + 12);
                Complete(userData, res, flags);
            }

            ring.Consumed(tail);
            if (_parked.Count > 0)
            {
                Unpark();
            }
        }
    }

    public void Stop()
    {
        _stopping = true;
        ulong one = 1;
        Native.Write(_wake, &one, 8);
    }

    private static ulong UserData(int index, OpKind kind) => ((ulong)(uint)index << 8) | (byte)kind;

    private void ArmAccept() =>
        Sqe.MultishotAccept(_ring!.NextSqe(), _listener, Native.SockCloexec, UserData(0, OpKind.Accept));

    private void ArmWake() =>
        Sqe.ReadCurrent(_ring!.NextSqe(), _wake, _wakeBuffer, 8, UserData(0, OpKind.Wake));

    private static readonly bool Debug = Environment.GetEnvironmentVariable("PROBE_DEBUG") == "1";

    private void Complete(ulong userData, int res, uint flags)
    {
        var kind = (OpKind)(byte)userData;
        var index = (int)(userData >> 8);
        if (Debug && res < 0)
        {
            Console.Error.WriteLine($"probe: {kind} session {index}: res {res} flags 0x{flags:x}");
        }

        switch (kind)
        {
            case OpKind.Accept:
                if (res >= 0)
                {
                    Start(res);
                }

                if ((flags & Uring.CqeFMore) == 0 && !_stopping)
                {
                    ArmAccept(); // the kernel ended the multishot (error, or overflow): arm it again
                }

                break;

            case OpKind.Wake:
                if (!_stopping)
                {
                    ArmWake();
                }

                break;

            case OpKind.Connect:
                OnConnect(index, res);
                break;

            case OpKind.RecvUp:
            case OpKind.RecvDown:
                if (_multishot)
                {
                    OnMultishotRecv(index, kind == OpKind.RecvUp, res, flags);
                }
                else
                {
                    OnRecv(index, kind == OpKind.RecvUp, res);
                }

                break;

            case OpKind.SendUp:
            case OpKind.SendDown:
                OnSend(index, kind == OpKind.SendUp, res);
                break;

            case OpKind.Ignore:
                break;
        }
    }

    private void Start(int client)
    {
        // Blocking sockets: io_uring tries each operation nonblocking itself and arms its internal poll on
        // EAGAIN; a nonblocking socket would make IORING_OP_CONNECT complete with EINPROGRESS instead.
        var backend = Native.Socket(Native.AfInet, Native.SockStream | Native.SockCloexec, 0);
        if (backend < 0)
        {
            Native.Close(client);
            return;
        }

        Native.SetInt(backend, Native.IpProtoTcp, Native.TcpNoDelay, 1);
        var index = _sessions.Allocate(client, backend);
        ref var s = ref _sessions[index];
        s.Pending++;
        Sqe.Connect(_ring!.NextSqe(), backend, _backendAddress, 16, UserData(index, OpKind.Connect));
    }

    private void OnConnect(int index, int res)
    {
        ref var s = ref _sessions[index];
        s.Pending--;
        if (res < 0 || s.Failed)
        {
            Fail(index);
            return;
        }

        s.Connected = true;
        Drive(index);
    }

    private void OnRecv(int index, bool up, int res)
    {
        ref var s = ref _sessions[index];
        ref var leg = ref up ? ref s.Up : ref s.Down;
        s.Pending--;
        leg.Receiving = false;
        if (s.Failed || res < 0)
        {
            Fail(index);
            return;
        }

        Relay.Received(ref leg, leg.Buffer, res);
        Drive(index);
    }

    private void OnMultishotRecv(int index, bool up, int res, uint flags)
    {
        var pool = _pool!;
        ref var s = ref _sessions[index];
        ref var leg = ref up ? ref s.Up : ref s.Down;
        if ((flags & Uring.CqeFMore) == 0)
        {
            s.Pending--;
            leg.Receiving = false;
        }

        if ((flags & Uring.CqeFBuffer) != 0)
        {
            var bid = (int)(flags >> Uring.CqeBufferShift);
            pool.Taken();
            if (s.Failed || res <= 0)
            {
                ReturnBuffer(bid);
            }
            else if (leg.ChunkBid < 0)
            {
                leg.ChunkBid = bid;
                Relay.Received(ref leg, pool.Address(bid), res);
            }
            else
            {
                // Behind the chunk being sent: queue it (FIFO through _nextBid).
                _bidLength[bid] = res;
                _nextBid[bid] = -1;
                if (leg.QueueTail < 0)
                {
                    leg.QueueHead = bid;
                }
                else
                {
                    _nextBid[leg.QueueTail] = bid;
                }

                leg.QueueTail = bid;
            }
        }
        else if (res == -Native.ENOBUFS)
        {
            leg.ParkedNoBuffers = true;
            _parked.Enqueue((index, s.Generation, up));
        }
        else if (res == 0)
        {
            leg.SourceEof = true; // sent on after the queued chunks (Relay.Next sends first)
        }
        else if (res < 0)
        {
            Fail(index);
            return;
        }

        if (s.Failed)
        {
            Fail(index);
            return;
        }

        Drive(index);
    }

    private void OnSend(int index, bool up, int res)
    {
        ref var s = ref _sessions[index];
        ref var leg = ref up ? ref s.Up : ref s.Down;
        s.Pending--;
        leg.Sending = false;
        if (s.Failed || res < 0)
        {
            Fail(index);
            return;
        }

        if (Relay.Sent(ref leg, res) && _multishot)
        {
            ReturnBuffer(leg.ChunkBid);
            leg.ChunkBid = -1;
            if (leg.QueueHead >= 0)
            {
                var bid = leg.QueueHead;
                leg.QueueHead = _nextBid[bid];
                if (leg.QueueHead < 0)
                {
                    leg.QueueTail = -1;
                }

                leg.ChunkBid = bid;
                Relay.Received(ref leg, _pool!.Address(bid), _bidLength[bid]);
            }
        }

        Drive(index);
    }

    private void Drive(int index)
    {
        ref var s = ref _sessions[index];
        DriveLeg(index, ref s.Up, up: true);
        DriveLeg(index, ref s.Down, up: false);
        if (Relay.Finished(s) && s.Pending == 0)
        {
            Close(index);
        }
    }

    private void DriveLeg(int index, ref Leg leg, bool up)
    {
        ref var s = ref _sessions[index];
        var step = Relay.Next(leg);
        if (step == Step.Done)
        {
            return;
        }

        if (step == Step.PassFin)
        {
            Relay.PassFin(ref leg, up ? s.Down : s.Up);
            return;
        }

        // Single-shot: receive only into an empty buffer. Multishot: the receive stays armed while chunks
        // are sent (it is what fills the queue) until the source's FIN.
        var wantReceive = _multishot ? !leg.SourceEof : step == Step.Receive;
        if (wantReceive && !leg.Receiving && !leg.ParkedNoBuffers)
        {
            leg.Receiving = true;
            s.Pending++;
            var userData = UserData(index, up ? OpKind.RecvUp : OpKind.RecvDown);
            if (_multishot)
            {
                Sqe.RecvMultishot(_ring!.NextSqe(), leg.Source, BufferGroup, userData);
            }
            else
            {
                Sqe.Recv(_ring!.NextSqe(), leg.Source, leg.Buffer, Relay.BufferSize, userData);
            }
        }

        if (step == Step.Send && !leg.Sending)
        {
            leg.Sending = true;
            s.Pending++;
            Sqe.Send(_ring!.NextSqe(), leg.Sink, leg.Chunk + leg.Offset, leg.Length - leg.Offset, UserData(index, up ? OpKind.SendUp : OpKind.SendDown));
        }
    }

    /// <summary>An error on either side: shut both sockets down (completing what is in flight on them), close at the last completion.</summary>
    private void Fail(int index)
    {
        ref var s = ref _sessions[index];
        if (!s.Failed)
        {
            s.Failed = true;
            Native.Shutdown(s.Client, Native.ShutBoth);
            Native.Shutdown(s.Backend, Native.ShutBoth);
        }

        if (s.Pending == 0)
        {
            Close(index);
        }
    }

    private void Close(int index)
    {
        ref var s = ref _sessions[index];
        if (_multishot)
        {
            ReleaseBuffers(ref s.Up);
            ReleaseBuffers(ref s.Down);
        }

        var sqe = _ring!.NextSqe();
        Sqe.Close(sqe, s.Client, UserData(index, OpKind.Ignore));
        Sqe.SkipSuccess(sqe);
        sqe = _ring.NextSqe();
        Sqe.Close(sqe, s.Backend, UserData(index, OpKind.Ignore));
        Sqe.SkipSuccess(sqe);
        _sessions.Free(index);
    }

    private void ReleaseBuffers(ref Leg leg)
    {
        if (leg.ChunkBid >= 0)
        {
            ReturnBuffer(leg.ChunkBid);
            leg.ChunkBid = -1;
        }

        while (leg.QueueHead >= 0)
        {
            var bid = leg.QueueHead;
            leg.QueueHead = _nextBid[bid];
            ReturnBuffer(bid);
        }

        leg.QueueTail = -1;
    }

    private void ReturnBuffer(int bid) => _pool!.Return(bid);

    /// <summary>
    /// End of a turn: directions whose multishot receive ended with ENOBUFS are armed again once the pool
    /// has buffers back, a few per turn so that they do not all run it dry at once again.
    /// </summary>
    private void Unpark()
    {
        var pool = _pool!;
        for (var n = 0; n < 32 && _parked.Count > 0 && pool.Free >= UnparkWhenFree; n++)
        {
            var (index, generation, up) = _parked.Dequeue();
            ref var s = ref _sessions[index];
            if (!s.InUse || s.Generation != generation || s.Failed)
            {
                continue;
            }

            ref var leg = ref up ? ref s.Up : ref s.Down;
            if (leg.ParkedNoBuffers)
            {
                leg.ParkedNoBuffers = false;
                Drive(index);
            }
        }
    }

    public void Dispose()
    {
        _pool?.Dispose();
        _ring?.Dispose();
        Native.Close(_wake);
        Native.Close(_listener);
    }
}
