using System.Runtime.InteropServices;

namespace L4Balancer.EngineProbe;

/// <summary>
/// A loop's sessions in one growable array with a free list: a session is an index (what epoll's data and
/// io_uring's user_data carry), and a freed slot keeps its two 16 KiB buffers for the next connection, so
/// steady-state traffic allocates nothing.
/// </summary>
internal sealed unsafe class SessionTable
{
    private readonly Stack<int> _free = new();
    private readonly bool _ownBuffers;
    private Session[] _items = new Session[256];
    private int _count;

    public SessionTable(bool ownBuffers) => _ownBuffers = ownBuffers;

    public int Live { get; private set; }

    public ref Session this[int index] => ref _items[index];

    /// <summary>A free slot with both directions reset; ref-returning callers must re-fetch after the next Allocate (the array may grow).</summary>
    public int Allocate(int client, int backend)
    {
        int index;
        if (_free.Count > 0)
        {
            index = _free.Pop();
        }
        else
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }

            index = _count++;
            if (_ownBuffers)
            {
                var memory = (byte*)NativeMemory.AlignedAlloc(2 * Relay.BufferSize, 4096);
                _items[index].Up.Buffer = memory;
                _items[index].Down.Buffer = memory + Relay.BufferSize;
            }
        }

        ref var s = ref _items[index];
        s.Client = client;
        s.Backend = backend;
        s.InUse = true;
        s.Connected = s.Failed = false;
        s.Pending = 0;
        s.Up.Reset(client, backend);
        s.Down.Reset(backend, client);
        Live++;
        return index;
    }

    public void Free(int index)
    {
        ref var s = ref _items[index];
        s.InUse = false;
        s.Generation++;
        _free.Push(index);
        Live--;
    }
}
