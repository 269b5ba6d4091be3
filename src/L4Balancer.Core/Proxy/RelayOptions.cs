using System.Buffers;
using System.IO.Pipelines;

namespace L4Balancer.Core.Proxy;

/// <summary>Buffer sizing for the relay. One instance per engine; the pipe options are shared by every session.</summary>
internal sealed class RelayOptions
{
    /// <summary>Size of the pipe segments receives read into; a receive gets at least half of one.</summary>
    public int ReceiveBufferSize { get; init; } = 16 * 1024;

    /// <summary>
    /// Bytes buffered in one direction before the receiving side stops reading: this is what bounds
    /// memory per connection when one peer reads slower than the other writes.
    /// </summary>
    public int PauseThreshold { get; init; } = 64 * 1024;

    public MemoryPool<byte> Pool { get; init; } = MemoryPool<byte>.Shared;

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
