namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// A pipe between two <c>splice(2)</c> calls: socket → <see cref="WriteFd"/>, <see cref="ReadFd"/> → socket.
/// <see cref="Buffered"/> is what went in and has not come out yet; only an empty pipe goes back to the pool.
/// </summary>
internal sealed class KernelPipe(int readFd, int writeFd, int capacity)
{
    public int ReadFd { get; } = readFd;

    public int WriteFd { get; } = writeFd;

    /// <summary>Bytes the pipe holds at most (<c>F_GETPIPE_SZ</c> after <c>F_SETPIPE_SZ</c>).</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Bytes spliced in and not yet spliced out. Owned by the one loop thread using the pipe.</summary>
    public int Buffered { get; set; }
}
