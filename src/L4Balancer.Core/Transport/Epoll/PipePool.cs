using System.Collections.Concurrent;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// Pipes for the splice relay, taken when bytes arrive and returned when drained (HAProxy's
/// <c>src/pipe.c</c>), so an idle connection holds none. Each is sized to the relay's pause threshold
/// with <c>F_SETPIPE_SZ</c>: a full pipe is the backpressure point, as a full <c>Pipe</c> is in the sockets
/// transport. At most <see cref="MaxPooled"/> empty pipes are kept; past that they are closed, and past
/// <see cref="MaxOpen"/> pipes in use a relay gets none and falls back to copying through user space.
/// </summary>
internal sealed unsafe class PipePool : IDisposable
{
    private readonly ConcurrentBag<KernelPipe> _free = new();
    private readonly int _size;
    private int _open;
    private int _pooled;
    private volatile bool _disposed;

    public PipePool(int size, int maxPooled, int maxOpen)
    {
        _size = size;
        MaxPooled = maxPooled;
        MaxOpen = maxOpen;
    }

    public int MaxPooled { get; }

    public int MaxOpen { get; }

    /// <summary>Pipes open now, in use or pooled (each holds two descriptors).</summary>
    public int Open => Volatile.Read(ref _open);

    public int Pooled => Volatile.Read(ref _pooled);

    /// <summary>An empty pipe, or null when <see cref="MaxOpen"/> is reached or the system refuses (EMFILE, ENFILE).</summary>
    public KernelPipe? Rent()
    {
        if (_free.TryTake(out var pipe))
        {
            Interlocked.Decrement(ref _pooled);
            return pipe;
        }

        if (Interlocked.Increment(ref _open) > MaxOpen)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        var fds = stackalloc int[2];
        if (LinuxNative.Pipe2(fds, LinuxNative.ONonblock | LinuxNative.OCloexec) != 0)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        // The kernel may round the size up to a power of two of pages, or refuse above
        // /proc/sys/fs/pipe-max-size for an unprivileged process: the size it reports is the one in force.
        _ = LinuxNative.Fcntl(fds[1], LinuxNative.FSetPipeSize, _size);
        var capacity = LinuxNative.Fcntl(fds[1], LinuxNative.FGetPipeSize, 0);
        return new KernelPipe(fds[0], fds[1], capacity > 0 ? capacity : _size);
    }

    /// <summary>Gives <paramref name="pipe"/> back: kept if empty and there is room, else closed.</summary>
    public void Return(KernelPipe pipe)
    {
        if (pipe.Buffered == 0 && !_disposed)
        {
            if (Interlocked.Increment(ref _pooled) <= MaxPooled)
            {
                _free.Add(pipe);
                return;
            }

            Interlocked.Decrement(ref _pooled);
        }

        // A pipe still holding bytes belongs to a connection that ended mid-transfer: its bytes are lost
        // with the connection, and the pipe is not reused with them in it.
        Close(pipe);
    }

    private void Close(KernelPipe pipe)
    {
        LinuxNative.Close(pipe.ReadFd);
        LinuxNative.Close(pipe.WriteFd);
        Interlocked.Decrement(ref _open);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_free.TryTake(out var pipe))
        {
            Interlocked.Decrement(ref _pooled);
            Close(pipe);
        }
    }
}
