using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace L4Balancer.Core.Transport.Sockets;

/// <summary>Buffer sizing for the relay. One instance per engine; the pipe options are shared by every session.</summary>
internal sealed class RelayOptions
{
    /// <summary>
    /// Size of the pipe segments receives read into; a receive gets at least half of one. 64 KiB
    /// (one pause threshold) rather than 16 KiB: a bulk stream then moves up to 64 KiB per receive and
    /// per send, about a quarter of the system calls per GB. One iperf3 stream through the balancer
    /// (bench/README.md "levers", two alternating rounds): 931 and 1157 → 653 and 764 ms of CPU per GB,
    /// 8.6 and 7.0 → 11.4 and 9.8 Gbit/s. Idle connections hold no segment (the zero-byte receive),
    /// and small messages only touch the bytes they use of a pooled array.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 64 * 1024;

    /// <summary>
    /// Bytes buffered in one direction before the receiving side stops reading: this is what bounds
    /// memory per connection when one peer reads slower than the other writes.
    /// </summary>
    public int PauseThreshold { get; init; } = 64 * 1024;

    public MemoryPool<byte> Pool { get; init; } = MemoryPool<byte>.Shared;

    /// <summary>
    /// Creates the socket for a backend connect. A seam for tests: socket creation fails with EMFILE at
    /// the descriptor limit, and that path must give the backend slot back (issue 11, defect 4).
    /// </summary>
    public Func<AddressFamily, Socket> BackendSocketFactory { get; init; } =
        static family => new Socket(family, SocketType.Stream, ProtocolType.Tcp);

    private PipeOptions? _pipeOptions;

    /// <summary>
    /// Inline schedulers: the continuation that sends runs on the thread that completed the receive,
    /// with no hop through the thread-pool queue; both loops only ever await socket I/O, so nothing
    /// blocks on that thread.
    /// </summary>
    public PipeOptions PipeOptions => _pipeOptions ??= new PipeOptions(
        pool: Pool,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        pauseWriterThreshold: PauseThreshold,
        resumeWriterThreshold: PauseThreshold / 2,
        minimumSegmentSize: ReceiveBufferSize,
        useSynchronizationContext: false);
}
