using L4Balancer.Core.Transport.Epoll;

namespace L4Balancer.Tests.Transport.Epoll;

public class TimerHeapTests
{
    [Fact]
    public void Timers_come_out_in_deadline_order_whatever_was_armed_rearmed_or_cancelled()
    {
        var random = new Random(1234);
        for (var round = 0; round < 200; round++)
        {
            var heap = new TimerHeap();
            var timers = Enumerable.Range(0, random.Next(1, 60)).Select(i => new LoopTimer(static _ => { }, i)).ToArray();
            var expected = new Dictionary<LoopTimer, long>();
            for (var op = 0; op < 200; op++)
            {
                var timer = timers[random.Next(timers.Length)];
                if (random.Next(4) == 0)
                {
                    heap.Cancel(timer);
                    expected.Remove(timer);
                }
                else
                {
                    var due = random.Next(1000);
                    heap.Arm(timer, due);
                    expected[timer] = due;
                }
            }

            Assert.Equal(expected.Count, heap.Count);
            var popped = new List<long>();
            while (heap.PopDue(long.MaxValue) is { } next)
            {
                Assert.False(next.IsArmed);
                Assert.Equal(expected[next], next.Due);
                popped.Add(next.Due);
            }

            Assert.Equal(expected.Values.Order(), popped);
        }
    }

    [Fact]
    public void Only_timers_that_are_due_pop()
    {
        var heap = new TimerHeap();
        var early = new LoopTimer(static _ => { }, null);
        var late = new LoopTimer(static _ => { }, null);
        heap.Arm(late, 200);
        heap.Arm(early, 100);

        Assert.Null(heap.PopDue(99));
        Assert.Same(early, heap.PopDue(150));
        Assert.Null(heap.PopDue(150));
        Assert.Same(late, heap.PopDue(200));
        Assert.Equal(0, heap.Count);
    }
}
