using System.ComponentModel;
using System.Runtime.InteropServices;

namespace L4Balancer.EngineProbe;

/// <summary>
/// A provided-buffer ring (IORING_REGISTER_PBUF_RING, kernel 5.19+): <see cref="Count"/> buffers of
/// <see cref="Relay.BufferSize"/> that multishot receives fill in whatever order data arrives; a buffer comes
/// back to the ring (<see cref="Return"/>) once its bytes were sent on. The ring is
/// <c>struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv; }</c> entries whose first entry's resv
/// field is the tail we publish with release semantics.
/// </summary>
internal sealed unsafe class BufferRing : IDisposable
{
    private const int EntrySize = 16;
    private const int TailOffset = 14;

    private readonly byte* _ring;
    private readonly nuint _ringSize;
    private readonly byte* _buffers;
    private readonly ushort _mask;
    private ushort _tail;

    public BufferRing(Ring ring, ushort group, int count)
    {
        if (count <= 0 || (count & (count - 1)) != 0 || count > 32768)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "a power of two up to 32768");
        }

        Group = group;
        Count = count;
        _mask = (ushort)(count - 1);
        _ringSize = (nuint)(count * EntrySize);
        _ring = (byte*)Native.Mmap(null, _ringSize, Native.ProtRead | Native.ProtWrite, Native.MapPrivate | Native.MapAnonymous, -1, 0);
        if (_ring == (byte*)-1)
        {
            throw new Win32Exception(Native.Errno, "mmap(buffer ring) failed");
        }

        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)count * Relay.BufferSize, 4096);

        // struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u32 min_left; u32 resv[5]; }
        var reg = stackalloc byte[40];
        new Span<byte>(reg, 40).Clear();
        *(ulong*)reg = (ulong)_ring;
        *(uint*)(reg + 8) = (uint)count;
        *(ushort*)(reg + 12) = group;
        var r = ring.Register(Uring.RegisterPbufRing, reg, 1);
        if (r < 0)
        {
            Native.Munmap(_ring, _ringSize);
            NativeMemory.AlignedFree(_buffers);
            throw new Win32Exception(-r, "IORING_REGISTER_PBUF_RING failed");
        }

        for (var bid = 0; bid < count; bid++)
        {
            Put(bid, bid);
        }

        Publish((ushort)count);
        Free = count;
    }

    public ushort Group { get; }

    public int Count { get; }

    /// <summary>Buffers in the ring, available to the kernel.</summary>
    public int Free { get; private set; }

    public byte* Address(int bid) => _buffers + ((long)bid * Relay.BufferSize);

    /// <summary>The kernel filled <paramref name="bid"/> (a receive completion carried it).</summary>
    public void Taken() => Free--;

    public void Return(int bid)
    {
        Put(bid, 0);
        Publish(1);
        Free++;
    }

    private void Put(int bid, int offset)
    {
        var entry = _ring + (((_tail + offset) & _mask) * EntrySize);
        *(ulong*)entry = (ulong)Address(bid);
        *(uint*)(entry + 8) = Relay.BufferSize;
        *(ushort*)(entry + 12) = (ushort)bid;
    }

    private void Publish(ushort added)
    {
        _tail = (ushort)(_tail + added);
        Volatile.Write(ref *(ushort*)(_ring + TailOffset), _tail);
    }

    public void Dispose()
    {
        Native.Munmap(_ring, _ringSize);
        NativeMemory.AlignedFree(_buffers);
    }
}
