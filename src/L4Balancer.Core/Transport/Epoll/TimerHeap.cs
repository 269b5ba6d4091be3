namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// A binary min-heap of <see cref="LoopTimer"/>s by deadline, each knowing its index, so re-arming and
/// cancelling are O(log n) without searching. Used by one loop thread only.
/// </summary>
internal sealed class TimerHeap
{
    private LoopTimer[] _items = new LoopTimer[16];

    public int Count { get; private set; }

    public LoopTimer? Peek() => Count == 0 ? null : _items[0];

    public void Arm(LoopTimer timer, long due)
    {
        if (timer.IsArmed)
        {
            var earlier = due < timer.Due;
            timer.Due = due;
            if (earlier)
            {
                Up(timer.HeapIndex);
            }
            else
            {
                Down(timer.HeapIndex);
            }

            return;
        }

        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
        }

        timer.Due = due;
        Place(timer, Count);
        Count++;
        Up(timer.HeapIndex);
    }

    public void Cancel(LoopTimer timer)
    {
        if (!timer.IsArmed)
        {
            return;
        }

        var index = timer.HeapIndex;
        timer.HeapIndex = -1;
        Count--;
        if (index == Count)
        {
            _items[Count] = null!;
            return;
        }

        var last = _items[Count];
        _items[Count] = null!;
        Place(last, index);
        Up(index);
        Down(last.HeapIndex);
    }

    /// <summary>Removes and returns the earliest timer if it is due at <paramref name="now"/>.</summary>
    public LoopTimer? PopDue(long now)
    {
        if (Count == 0 || _items[0].Due > now)
        {
            return null;
        }

        var first = _items[0];
        Cancel(first);
        return first;
    }

    private void Up(int index)
    {
        var timer = _items[index];
        while (index > 0)
        {
            var parent = (index - 1) / 2;
            if (_items[parent].Due <= timer.Due)
            {
                break;
            }

            Place(_items[parent], index);
            index = parent;
        }

        Place(timer, index);
    }

    private void Down(int index)
    {
        var timer = _items[index];
        while (true)
        {
            var child = (2 * index) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && _items[child + 1].Due < _items[child].Due)
            {
                child++;
            }

            if (timer.Due <= _items[child].Due)
            {
                break;
            }

            Place(_items[child], index);
            index = child;
        }

        Place(timer, index);
    }

    private void Place(LoopTimer timer, int index)
    {
        _items[index] = timer;
        timer.HeapIndex = index;
    }
}
