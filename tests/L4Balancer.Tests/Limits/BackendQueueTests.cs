using L4Balancer.Core.Limits;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Limits;

public class BackendQueueTests
{
    [Fact]
    public void Max_queue_bounds_the_length_and_0_means_no_bound()
    {
        var queue = new BackendQueue();
        Assert.True(queue.TryEnter(2));
        Assert.True(queue.TryEnter(2));
        Assert.False(queue.TryEnter(2));
        Assert.Equal(2, queue.Length);

        queue.Leave();
        Assert.True(queue.TryEnter(2));
        Assert.True(queue.TryEnter(0));
        Assert.Equal(3, queue.Length);
        Assert.Equal(4, queue.Total);
    }

    [Fact]
    public async Task A_freed_slot_wakes_the_longest_waiting_first_and_only_one()
    {
        var time = new FakeTimeProvider();
        var queue = new BackendQueue();
        queue.TryEnter(0);
        queue.TryEnter(0);
        var first = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: false, time, CancellationToken.None);
        var second = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: false, time, CancellationToken.None);

        queue.SlotFreed();
        await first.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(second.IsCompleted);

        queue.SlotFreed();
        await second.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_waiter_put_back_at_the_head_is_woken_before_later_arrivals()
    {
        var time = new FakeTimeProvider();
        var queue = new BackendQueue();
        queue.TryEnter(0);
        queue.TryEnter(0);
        var later = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: false, time, CancellationToken.None);
        var returning = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: true, time, CancellationToken.None);

        queue.SlotFreed();
        await returning.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(later.IsCompleted);
        queue.SlotFreed();
        await later.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_wait_ends_by_itself_at_the_recheck_interval_or_the_limit_whichever_is_first()
    {
        var time = new FakeTimeProvider();
        var queue = new BackendQueue();
        queue.TryEnter(0);
        var wait = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: false, time, CancellationToken.None);
        time.Advance(BackendQueue.RecheckInterval - TimeSpan.FromMilliseconds(1));
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await wait.WaitAsync(TimeSpan.FromSeconds(10));

        var shortWait = queue.WaitAsync(TimeSpan.FromMilliseconds(50), atHead: false, time, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(50));
        await shortWait.WaitAsync(TimeSpan.FromSeconds(10));

        // A wait that ended on its own left the queue: the next freed slot has nobody to wake, and no error.
        queue.SlotFreed();
    }

    [Fact]
    public async Task An_aborted_session_stops_waiting_and_leaves_the_list()
    {
        var time = new FakeTimeProvider();
        var queue = new BackendQueue();
        queue.TryEnter(0);
        queue.TryEnter(0);
        using var abort = new CancellationTokenSource();
        var aborted = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: false, time, abort.Token);
        var other = queue.WaitAsync(TimeSpan.FromSeconds(30), atHead: false, time, CancellationToken.None);

        await abort.CancelAsync();
        await aborted.WaitAsync(TimeSpan.FromSeconds(10)); // completes, does not throw

        // The freed slot goes to the one still waiting, not to the aborted one's empty place.
        queue.SlotFreed();
        await other.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
