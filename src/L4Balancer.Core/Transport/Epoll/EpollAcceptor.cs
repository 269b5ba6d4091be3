using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// Accepts on one listening socket for one loop. Every loop registers the same socket with
/// <c>EPOLLEXCLUSIVE</c> (level-triggered), so a new connection wakes one loop, not all; a turn accepts
/// at most <see cref="AcceptBudget"/> connections (HAProxy's <c>tune.maxaccept</c>), after the turn's other
/// events, so established connections are served before and between bursts of new ones. Out of descriptors, accepting pauses for
/// <see cref="AcceptFailures.Pause"/> instead of spinning on a socket that stays readable.
/// </summary>
internal sealed unsafe class EpollAcceptor(EpollLoop loop, PipePool pipes, int listenFd, AcceptPause pause, Func<EpollLoop, EpollLoop> pickLoop, Action<IClientConnection> onAccepted, Action<int> onFailed) : IEpollHandler
{
    public const int AcceptBudget = 64;
    private const EpollEvents Interest = EpollEvents.In | EpollEvents.Exclusive;

    private LoopTimer? _resume;
    private long _token = -1;
    private bool _stopped;
    private bool _acceptQueued;

    /// <summary>Loop thread only.</summary>
    public bool Start()
    {
        _token = loop.Register(listenFd, Interest, this);
        return _token >= 0;
    }

    /// <summary>Loop thread only; the listening socket itself is the listener's to close.</summary>
    public void Stop()
    {
        _stopped = true;
        if (_resume is { } resume)
        {
            loop.Cancel(resume);
        }

        if (_token >= 0)
        {
            loop.Unregister(listenFd, _token);
            _token = -1;
        }
    }

    public void OnEvents(EpollEvents events)
    {
        // Established connections first: the accepts wait until the turn has handled every other event
        // (posted work runs after them). Level-triggered, so what this batch leaves is reported again.
        if (!_acceptQueued)
        {
            _acceptQueued = true;
            loop.Post(static s => ((EpollAcceptor)s!).AcceptBatch(), this);
        }
    }

    private void AcceptBatch()
    {
        _acceptQueued = false;
        var address = stackalloc byte[SocketAddress.MaxSize];
        for (var i = 0; i < AcceptBudget && !_stopped; i++)
        {
            if (pause.IsPaused)
            {
                Pause(); // another loop ran out of descriptors: the spares it freed are the runtime's
                return;
            }

            var length = SocketAddress.MaxSize;
            var fd = LinuxNative.Accept4(listenFd, address, &length, LinuxNative.SockNonblock | LinuxNative.SockCloexec);
            if (fd < 0)
            {
                var errno = LinuxNative.Errno;
                if (errno is LinuxNative.EAGAIN or LinuxNative.EINTR)
                {
                    return;
                }

                if (errno is LinuxNative.ECONNABORTED)
                {
                    continue; // the client gave up before we accepted
                }

                // The listener's failure report releases the spare descriptors on EMFILE/ENFILE and logs
                // once per interval, as its own accept loop does. It goes first: code run for the first
                // time here at zero free descriptors has aborted the runtime before (see
                // Listener.ReportAcceptFailure); then every other loop stops accepting on this listener.
                onFailed(errno);
                pause.PauseFor(AcceptFailures.Pause);
                Pause();
                return;
            }

            // TCP_NODELAY is inherited from the listening socket (set at bind).
            var remote = SocketAddress.Read(new ReadOnlySpan<byte>(address, length));
            var target = pickLoop(loop);
            target.AddConnection(); // counted now, so the rest of this batch sees it
            if (target == loop)
            {
                onAccepted(new EpollConnection(loop, pipes, fd, remote));
            }
            else
            {
                // The connection lives on the loop that serves it: created, registered and run there.
                target.Post(static s =>
                {
                    var (acceptor, target, fd, remote) = ((EpollAcceptor, EpollLoop, int, IPEndPoint?))s!;
                    acceptor.HandOver(target, fd, remote);
                }, (this, target, fd, remote));
            }
        }
    }

    private void HandOver(EpollLoop target, int fd, IPEndPoint? remote) => onAccepted(new EpollConnection(target, pipes, fd, remote));

    private void Pause()
    {
        if (_token >= 0)
        {
            loop.Unregister(listenFd, _token);
            _token = -1;
        }

        _resume ??= new LoopTimer(static s => ((EpollAcceptor)s!).Resume(), this);
        loop.Arm(_resume, AcceptFailures.Pause);
    }

    private void Resume()
    {
        if (!_stopped && _token < 0)
        {
            _token = loop.Register(listenFd, Interest, this);
        }
    }
}
