using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace L4Balancer.EngineProbe;

/// <summary>
/// One io_uring instance, set up and mapped by hand (io_uring_setup, one mmap for both rings under
/// IORING_FEAT_SINGLE_MMAP, one for the SQE array), used from one thread. SQEs are queued with
/// <see cref="NextSqe"/> and handed to the kernel by the same io_uring_enter that waits for completions
/// (<see cref="SubmitAndWait"/>): one system call per loop turn, however many operations the turn queued.
/// Barriers follow liburing: the kernel-written indices (SQ head, CQ tail) are read with acquire
/// (<see cref="Volatile.Read(ref uint)"/>), ours (SQ tail, CQ head) published with release.
/// </summary>
internal sealed unsafe class Ring : IDisposable
{
    private readonly byte* _ringMemory;
    private readonly nuint _ringSize;
    private readonly byte* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly byte* _cqes;
    private uint _sqLocalTail;
    private uint _toSubmit;

    public Ring(uint entries, uint cqEntries, uint flags)
    {
        var p = stackalloc byte[Uring.ParamsSize];
        new Span<byte>(p, Uring.ParamsSize).Clear();
        *(uint*)(p + Uring.ParamsFlags) = flags | Uring.SetupCqSize | Uring.SetupSubmitAll;
        *(uint*)(p + Uring.ParamsCqEntries) = cqEntries;
        var fd = Native.Syscall(Uring.SysSetup, entries, (long)p, 0, 0, 0, 0);
        if (fd < 0)
        {
            throw new Win32Exception(Native.Errno, $"io_uring_setup(flags 0x{flags:x}) failed");
        }

        Fd = (int)fd;
        Flags = *(uint*)(p + Uring.ParamsFlags);
        Features = *(uint*)(p + Uring.ParamsFeatures);
        if ((Features & Uring.FeatSingleMmap) == 0)
        {
            Native.Close(Fd);
            throw new NotSupportedException("io_uring without IORING_FEAT_SINGLE_MMAP (kernel < 5.4)");
        }

        var sqEntries = *(uint*)(p + Uring.ParamsSqEntries);
        var cqEntriesGot = *(uint*)(p + Uring.ParamsCqEntries);
        var sqRingSize = *(uint*)(p + Uring.SqOffArray) + (sqEntries * sizeof(uint));
        var cqRingSize = *(uint*)(p + Uring.CqOffCqes) + (cqEntriesGot * Uring.CqeSize);
        _ringSize = Math.Max(sqRingSize, cqRingSize);
        _ringMemory = (byte*)Native.Mmap(null, _ringSize, Native.ProtRead | Native.ProtWrite,
            Native.MapShared | Native.MapPopulate, Fd, Uring.OffSqRing);
        if (_ringMemory == (byte*)-1)
        {
            var errno = Native.Errno;
            Native.Close(Fd);
            throw new Win32Exception(errno, "mmap(SQ/CQ ring) failed");
        }

        _sqesSize = sqEntries * Uring.SqeSize;
        _sqes = (byte*)Native.Mmap(null, _sqesSize, Native.ProtRead | Native.ProtWrite,
            Native.MapShared | Native.MapPopulate, Fd, Uring.OffSqes);
        if (_sqes == (byte*)-1)
        {
            var errno = Native.Errno;
            Native.Munmap(_ringMemory, _ringSize);
            Native.Close(Fd);
            throw new Win32Exception(errno, "mmap(SQEs) failed");
        }

        _sqHead = (uint*)(_ringMemory + *(uint*)(p + Uring.SqOffHead));
        _sqTail = (uint*)(_ringMemory + *(uint*)(p + Uring.SqOffTail));
        _sqMask = *(uint*)(_ringMemory + *(uint*)(p + Uring.SqOffRingMask));
        _sqEntries = *(uint*)(_ringMemory + *(uint*)(p + Uring.SqOffRingEntries));
        _cqHead = (uint*)(_ringMemory + *(uint*)(p + Uring.CqOffHead));
        _cqTail = (uint*)(_ringMemory + *(uint*)(p + Uring.CqOffTail));
        _cqMask = *(uint*)(_ringMemory + *(uint*)(p + Uring.CqOffRingMask));
        _cqes = _ringMemory + *(uint*)(p + Uring.CqOffCqes);

        // SQ slot i always holds SQE i (liburing does the same): the array indirection is then a no-op.
        var array = (uint*)(_ringMemory + *(uint*)(p + Uring.SqOffArray));
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }

        _sqLocalTail = *_sqTail;
    }

    public int Fd { get; }

    public uint Flags { get; }

    public uint Features { get; }

    /// <summary>io_uring_enter calls made (for the probe's own count; perf counts them too).</summary>
    public long Enters { get; private set; }

    /// <summary>A zeroed SQE to fill; when the SQ is full the queued ones are submitted first (no wait).</summary>
    public byte* NextSqe()
    {
        if (_sqLocalTail - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            Enter(0, 0);
        }

        var sqe = _sqes + ((_sqLocalTail & _sqMask) * Uring.SqeSize);
        Unsafe.InitBlockUnaligned(sqe, 0, Uring.SqeSize);
        _sqLocalTail++;
        _toSubmit++;
        return sqe;
    }

    /// <summary>Submits what the turn queued and waits until at least <paramref name="minComplete"/> completions are there.</summary>
    public void SubmitAndWait(uint minComplete)
    {
        while (true)
        {
            var flags = minComplete > 0 ? Uring.EnterGetEvents : 0;
            if (Enter(minComplete, flags))
            {
                return;
            }
        }
    }

    /// <returns>False when the call must be repeated (EINTR; EBUSY/EAGAIN with completions to reap first returns true).</returns>
    private bool Enter(uint minComplete, uint flags)
    {
        Volatile.Write(ref *_sqTail, _sqLocalTail);
        Enters++;
        var r = Native.Syscall(Uring.SysEnter, Fd, _toSubmit, minComplete, flags, 0, 0);
        if (r >= 0)
        {
            _toSubmit -= (uint)Math.Min(r, _toSubmit);
            return true;
        }

        var errno = Native.Errno;
        return errno switch
        {
            Native.EINTR => false,
            // The CQ overflowed into the kernel's backlog: reap what is there, then submit again.
            Native.EBUSY or Native.EAGAIN => true,
            _ => throw new Win32Exception(errno, "io_uring_enter failed"),
        };
    }

    /// <summary>The completions ready now: [<paramref name="head"/>, <paramref name="tail"/>). Read them with <see cref="Cqe"/>, then <see cref="Consumed"/>.</summary>
    public void Ready(out uint head, out uint tail)
    {
        head = *_cqHead;
        tail = Volatile.Read(ref *_cqTail);
    }

    public byte* Cqe(uint index) => _cqes + ((index & _cqMask) * Uring.CqeSize);

    public void Consumed(uint tail) => Volatile.Write(ref *_cqHead, tail);

    /// <summary>io_uring_register(2).</summary>
    public int Register(uint opcode, void* argument, uint count)
    {
        var r = Native.Syscall(Uring.SysRegister, Fd, opcode, (long)argument, count, 0, 0);
        return r < 0 ? -Native.Errno : (int)r;
    }

    public void Dispose()
    {
        Native.Munmap(_sqes, _sqesSize);
        Native.Munmap(_ringMemory, _ringSize);
        Native.Close(Fd);
    }
}
