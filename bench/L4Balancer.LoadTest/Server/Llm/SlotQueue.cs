namespace L4Balancer.LoadTest.Server.Llm;

/// <summary>
/// The generation slots and the FIFO queue in front of them. A request takes a free slot at once
/// only when nobody waits (arrival order is kept, as vLLM's scheduler keeps it); otherwise it
/// queues, and a released slot passes straight to the oldest waiter. A waiter whose client went
/// away leaves the queue without taking a slot.
/// </summary>
internal sealed class SlotQueue(int slotCount)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private readonly int _slots = slotCount;
    private int _free = slotCount;
    private int _peakWaiting;

    public int Slots => _slots;

    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _slots - _free;
            }
        }
    }

    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    public (int Running, int Waiting) Snapshot()
    {
        lock (_lock)
        {
            return (_slots - _free, _waiting.Count);
        }
    }

    public int PeakWaiting
    {
        get
        {
            lock (_lock)
            {
                return _peakWaiting;
            }
        }
    }

    /// <summary>
    /// Waits for a slot in arrival order; false if <paramref name="abort"/> fired while waiting.
    /// A slot handed over just as the abort fires still counts as taken: the caller checks its
    /// token after a true and releases the slot itself.
    /// </summary>
    public async ValueTask<bool> AcquireAsync(CancellationToken abort)
    {
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            if (_free > 0 && _waiting.Count == 0)
            {
                _free--;
                return true;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiting.AddLast(waiter);
            _peakWaiting = Math.Max(_peakWaiting, _waiting.Count);
        }

        await using (abort.Register(() => Leave(node)).ConfigureAwait(false))
        {
            try
            {
                await waiter.Task.ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    public void Release()
    {
        TaskCompletionSource next;
        lock (_lock)
        {
            if (_waiting.First is not { } first)
            {
                _free++;
                return;
            }

            _waiting.RemoveFirst();
            next = first.Value;
        }

        next.SetResult();
    }

    private void Leave(LinkedListNode<TaskCompletionSource> node)
    {
        lock (_lock)
        {
            // Already handed a slot (no longer listed): the caller gets it and gives it back.
            if (node.List is null)
            {
                return;
            }

            _waiting.Remove(node);
        }

        node.Value.TrySetCanceled();
    }
}
