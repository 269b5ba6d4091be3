using System.Buffers;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>Wraps the shared pool and tracks bytes rented and not yet returned (and the peak).</summary>
internal sealed class CountingMemoryPool : MemoryPool<byte>
{
    private long _outstanding;
    private long _peak;

    public long Outstanding => Interlocked.Read(ref _outstanding);

    public long Peak => Interlocked.Read(ref _peak);

    public override int MaxBufferSize => Shared.MaxBufferSize;

    public void ResetPeak() => Interlocked.Exchange(ref _peak, Outstanding);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        var owner = Shared.Rent(minBufferSize);
        var now = Interlocked.Add(ref _outstanding, owner.Memory.Length);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
        {
        }

        return new Tracked(this, owner);
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Tracked(CountingMemoryPool pool, IMemoryOwner<byte> inner) : IMemoryOwner<byte>
    {
        private int _disposed;

        public Memory<byte> Memory => inner.Memory;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Add(ref pool._outstanding, -inner.Memory.Length);
                inner.Dispose();
            }
        }
    }
}
