using System.Net;

namespace L4Balancer.EngineProbe;

/// <summary>
/// Starts one loop thread per <c>--threads</c>, each with its own listening socket on the same port
/// (SO_REUSEPORT: the kernel spreads new connections over them, no hand-off between threads) and its own
/// epoll instance or ring.
/// </summary>
internal sealed class EngineHost : IDisposable
{
    private readonly List<IEngineLoop> _loops = [];
    private readonly List<Thread> _threads = [];

    private EngineHost(int port) => Port = port;

    public int Port { get; }

    public int LiveSessions => _loops.Sum(l => l.LiveSessions);

    public static unsafe EngineHost Start(EngineKind engine, int threads, int port, IPEndPoint backend, UringSetup setup)
    {
        Span<byte> backendAddress = stackalloc byte[16];
        var ip = backend.Address.GetAddressBytes();
        if (ip.Length != 4)
        {
            throw new ArgumentException("the probe relays to an IPv4 backend only", nameof(backend));
        }

        fixed (byte* p = backendAddress)
        {
            Native.WriteSockaddrIn(p, ip, backend.Port);
        }

        ReadOnlySpan<byte> loopback = [127, 0, 0, 1];
        var nonblocking = engine == EngineKind.Epoll;
        var first = Native.ListenReusePort(loopback, port, nonblocking, out var bound);
        var host = new EngineHost(bound);
        for (var i = 0; i < threads; i++)
        {
            var listener = i == 0 ? first : Native.ListenReusePort(loopback, bound, nonblocking, out _);
            IEngineLoop loop = engine switch
            {
                EngineKind.Epoll => new EpollEngine(listener, backendAddress),
                EngineKind.Uring => new UringEngine(listener, backendAddress, multishot: false, setup),
                _ => new UringEngine(listener, backendAddress, multishot: true, setup),
            };
            var thread = new Thread(loop.Run) { IsBackground = true, Name = $"probe-{engine}-{i}".ToLowerInvariant() };
            host._loops.Add(loop);
            host._threads.Add(thread);
            thread.Start();
            if (loop is UringEngine uring)
            {
                try
                {
                    uring.WaitReady();
                }
                catch
                {
                    host.Dispose();
                    throw;
                }
            }
        }

        return host;
    }

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Stop();
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }

        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }
}
