using L4Balancer.Core.Transport.Sockets;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// The Linux-native transport: <see cref="Threads"/> event loops, each with its own epoll instance, all
/// accepting on every listener's socket (<c>EPOLLEXCLUSIVE</c>), and a shared <see cref="PipePool"/> for the
/// splice relays. The listening sockets stay the <see cref="Listener"/>s' .NET sockets, so binding,
/// adoption and the upgrade handover are the same as on the sockets transport.
/// </summary>
internal sealed class EpollTransport : IDisposable
{
    private readonly EpollLoop[] _loops;
    private readonly PipePool _pipes;

    public EpollTransport(int threads, int pipeSize, TimeProvider time)
    {
        // At most 1024 pipes (2048 descriptors) in use: the descriptor budget counts two per connection
        // and knows nothing of pipes, so they are capped, and a relay past the cap copies instead.
        _pipes = new PipePool(pipeSize, maxPooled: 256, maxOpen: MaxPipes);
        _loops = new EpollLoop[Math.Max(1, threads)];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = new EpollLoop($"l4b-epoll-{i}", time);
        }
    }

    public const int MaxPipes = 1024;

    public int Threads => _loops.Length;

    internal IReadOnlyList<EpollLoop> Loops => _loops;

    public PipePool Pipes => _pipes;

    /// <summary>True where epoll, eventfd, pipes and splice all work (Linux); probed once.</summary>
    public static bool IsSupported => Probe.Value;

    private static readonly Lazy<bool> Probe = new(static () =>
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            using var loop = new EpollLoop("l4b-epoll-probe", TimeProvider.System);
            using var pipes = new PipePool(4096, maxPooled: 1, maxOpen: 1);
            if (pipes.Rent() is not { } pipe)
            {
                return false;
            }

            pipes.Return(pipe);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    /// <summary>
    /// The loop a connection accepted on <paramref name="accepting"/> goes to: that one unless another
    /// serves at least two fewer connections. EPOLLEXCLUSIVE wakes whichever loop waits, and a burst
    /// (wrk opening 64 connections at once) lands in one loop's accept batch: without this, one loop can
    /// end up with every connection while the other idles (keep-alive throughput then halves). HAProxy
    /// spreads its accepts over threads the same way (<c>tune.listener.multi-queue</c>). A hand-off
    /// costs a post to the other loop; balanced loops keep their own.
    /// </summary>
    internal EpollLoop PickLoop(EpollLoop accepting)
    {
        var best = accepting;
        var fewest = accepting.Connections - 1; // the slack: a tie or one more stays
        foreach (var loop in _loops)
        {
            if (loop.Connections < fewest)
            {
                best = loop;
                fewest = loop.Connections;
            }
        }

        return best;
    }

    /// <summary>Makes every loop accept on <paramref name="listener"/>'s socket; disposing the result stops them (before the socket closes).</summary>
    public IAsyncDisposable Attach(Listener listener, Action<IClientConnection, Listener> onAccepted)
    {
        listener.Socket.Blocking = false;
        var fd = (int)listener.Socket.Handle;
        var acceptors = new EpollAcceptor[_loops.Length];
        var pause = new AcceptPause(_loops[0].Time);
        for (var i = 0; i < _loops.Length; i++)
        {
            var loop = _loops[i];
            acceptors[i] = new EpollAcceptor(
                loop,
                _pipes,
                fd,
                pause,
                PickLoop,
                connection =>
                {
                    listener.ReportAccepted();
                    onAccepted(connection, listener);
                },
                errno => listener.ReportAcceptFailure(LinuxNative.ErrorName(errno), errno is LinuxNative.EMFILE or LinuxNative.ENFILE));
            loop.Post(static s => ((EpollAcceptor)s!).Start(), acceptors[i]);
        }

        return new Attachment(_loops, acceptors);
    }

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }

        _pipes.Dispose();
    }

    private sealed class Attachment(EpollLoop[] loops, EpollAcceptor[] acceptors) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            var stopped = new Task[loops.Length];
            for (var i = 0; i < loops.Length; i++)
            {
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                loops[i].Post(static s =>
                {
                    var (acceptor, done) = ((EpollAcceptor, TaskCompletionSource))s!;
                    acceptor.Stop();
                    done.SetResult();
                }, (acceptors[i], done));
                stopped[i] = done.Task;
            }

            await Task.WhenAll(stopped).ConfigureAwait(false);
        }
    }
}
