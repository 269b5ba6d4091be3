using System.ComponentModel;
using System.Runtime.InteropServices;

namespace L4Balancer.EngineProbe;

/// <summary>
/// The epoll engine, shaped like the product's EpollLoop + SplicePump (buffer mode): both sockets of a
/// session registered once, edge-triggered, for IN|OUT|RDHUP; accept4 until EAGAIN; a nonblocking connect
/// completed by EPOLLOUT (SO_ERROR); then each direction is pumped with recv/send until the call would
/// block. As in the product (SplicePump.ShortRead/ShortWrite), a receive that got less than it asked for
/// or a send that took less than offered counts as EAGAIN without the extra call, except after RDHUP.
/// </summary>
internal sealed unsafe class EpollEngine : IEngineLoop
{
    private const int MaxEvents = 256;
    private const uint EpollIn = 0x1;
    private const uint EpollOut = 0x4;
    private const uint EpollErr = 0x8;
    private const uint EpollHup = 0x10;
    private const uint EpollRdHup = 0x2000;
    private const uint EpollEt = 1u << 31;
    private const int CtlAdd = 1;
    private const ulong ListenerToken = ulong.MaxValue;
    private const ulong WakeToken = ulong.MaxValue - 1;
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly int _listener;
    private readonly byte* _backendAddress;
    private readonly SessionTable _sessions = new(ownBuffers: true);
    private readonly int _epoll;
    private readonly int _wake;
    private readonly byte* _events;
    private volatile bool _stopping;

    public EpollEngine(int listener, ReadOnlySpan<byte> backendAddress)
    {
        _listener = listener;
        _backendAddress = (byte*)NativeMemory.Alloc(16);
        backendAddress.CopyTo(new Span<byte>(_backendAddress, 16));
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EventSize));
        _epoll = Native.EpollCreate1(Native.SockCloexec);
        _wake = Native.EventFd(0, Native.EfdNonblock | Native.EfdCloexec);
        if (_epoll < 0 || _wake < 0)
        {
            throw new Win32Exception(Native.Errno, "epoll_create1/eventfd failed");
        }

        Add(_listener, EpollIn | EpollEt, ListenerToken);
        Add(_wake, EpollIn, WakeToken);
    }

    public int LiveSessions => _sessions.Live;

    public void Run()
    {
        while (!_stopping)
        {
            var n = Native.EpollWait(_epoll, _events, MaxEvents, -1);
            if (n < 0)
            {
                if (Native.Errno == Native.EINTR)
                {
                    continue;
                }

                throw new Win32Exception(Native.Errno, "epoll_wait failed");
            }

            for (var i = 0; i < n; i++)
            {
                var slot = _events + (i * EventSize);
                var events = *(uint*)slot;
                var token = *(ulong*)(slot + DataOffset);
                if (token == ListenerToken)
                {
                    AcceptAll();
                }
                else if (token != WakeToken)
                {
                    OnEvent(token, events);
                }
            }
        }
    }

    public void Stop()
    {
        _stopping = true;
        ulong one = 1;
        Native.Write(_wake, &one, 8);
    }

    private void Add(int fd, uint events, ulong token)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = token;
        if (Native.EpollCtl(_epoll, CtlAdd, fd, ev) != 0)
        {
            throw new Win32Exception(Native.Errno, "epoll_ctl(ADD) failed");
        }
    }

    private static ulong Token(int index, int side, uint generation) => ((ulong)generation << 32) | ((uint)index << 1) | (uint)side;

    private void AcceptAll()
    {
        while (true)
        {
            var fd = Native.Accept4(_listener, null, null, Native.SockNonblock | Native.SockCloexec);
            if (fd < 0)
            {
                var errno = Native.Errno;
                if (errno == Native.EINTR)
                {
                    continue;
                }

                return; // EAGAIN: drained; anything else (EMFILE...): the next edge retries
            }

            Start(fd);
        }
    }

    private void Start(int client)
    {
        var backend = Native.Socket(Native.AfInet, Native.SockStream | Native.SockNonblock | Native.SockCloexec, 0);
        if (backend < 0)
        {
            Native.Close(client);
            return;
        }

        Native.SetInt(backend, Native.IpProtoTcp, Native.TcpNoDelay, 1);
        var connected = Native.Connect(backend, _backendAddress, 16) == 0;
        if (!connected && Native.Errno != Native.EINPROGRESS)
        {
            Native.Close(backend);
            Native.Close(client);
            return;
        }

        var index = _sessions.Allocate(client, backend);
        ref var s = ref _sessions[index];
        s.Connected = connected;
        Add(client, EpollIn | EpollOut | EpollRdHup | EpollEt, Token(index, 0, s.Generation));
        Add(backend, EpollIn | EpollOut | EpollRdHup | EpollEt, Token(index, 1, s.Generation));
        if (connected)
        {
            Pump(index);
        }
    }

    private void OnEvent(ulong token, uint events)
    {
        var index = (int)((uint)token >> 1);
        var side = (int)(token & 1);
        ref var s = ref _sessions[index];
        if (!s.InUse || s.Generation != (uint)(token >> 32))
        {
            return; // for a session closed earlier in this batch
        }

        var readable = (events & (EpollIn | EpollHup | EpollErr | EpollRdHup)) != 0;
        var closing = (events & (EpollHup | EpollRdHup)) != 0;
        var writable = (events & (EpollOut | EpollHup | EpollErr)) != 0;
        if (side == 0)
        {
            s.Up.SourceReadable |= readable;
            s.Up.SourceClosing |= closing;
            s.Down.SinkWritable |= writable;
        }
        else
        {
            if (!s.Connected)
            {
                if (!writable)
                {
                    return;
                }

                if (Native.PendingError(s.Backend) != 0)
                {
                    CloseSession(index);
                    return;
                }

                s.Connected = true;
            }

            s.Down.SourceReadable |= readable;
            s.Down.SourceClosing |= closing;
            s.Up.SinkWritable |= writable;
        }

        if (s.Connected)
        {
            Pump(index);
        }
    }

    private void Pump(int index)
    {
        ref var s = ref _sessions[index];
        if (!PumpLeg(ref s.Up, s.Down) || !PumpLeg(ref s.Down, s.Up) || Relay.Finished(s))
        {
            CloseSession(index);
        }
    }

    /// <returns>False on an error of either socket: the session closes.</returns>
    private static bool PumpLeg(ref Leg leg, in Leg other)
    {
        while (true)
        {
            switch (Relay.Next(leg))
            {
                case Step.Done:
                    return true;

                case Step.Receive:
                {
                    if (!leg.SourceReadable)
                    {
                        return true;
                    }

                    var n = Native.Recv(leg.Source, leg.Buffer, Relay.BufferSize, 0);
                    if (n < 0)
                    {
                        var errno = Native.Errno;
                        if (errno == Native.EAGAIN)
                        {
                            leg.SourceReadable = false;
                            return true;
                        }

                        if (errno == Native.EINTR)
                        {
                            continue;
                        }

                        return false;
                    }

                    Relay.Received(ref leg, leg.Buffer, (int)n);
                    if (n > 0 && n < Relay.BufferSize && !leg.SourceClosing)
                    {
                        leg.SourceReadable = false;
                    }

                    break;
                }

                case Step.Send:
                {
                    if (!leg.SinkWritable)
                    {
                        return true;
                    }

                    var offered = leg.Length - leg.Offset;
                    var n = Native.Send(leg.Sink, leg.Chunk + leg.Offset, offered, Native.MsgNoSignal);
                    if (n < 0)
                    {
                        var errno = Native.Errno;
                        if (errno == Native.EAGAIN)
                        {
                            leg.SinkWritable = false;
                            return true;
                        }

                        if (errno == Native.EINTR)
                        {
                            continue;
                        }

                        return false;
                    }

                    if (n < offered)
                    {
                        leg.SinkWritable = false;
                    }

                    Relay.Sent(ref leg, (int)n);
                    break;
                }

                case Step.PassFin:
                    Relay.PassFin(ref leg, other);
                    return true;
            }
        }
    }

    private void CloseSession(int index)
    {
        ref var s = ref _sessions[index];
        Native.Close(s.Client);
        Native.Close(s.Backend);
        _sessions.Free(index);
    }

    public void Dispose()
    {
        Native.Close(_epoll);
        Native.Close(_wake);
        Native.Close(_listener);
    }
}
