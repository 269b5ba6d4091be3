using L4Balancer.Core.Limits;

namespace L4Balancer.Tests.Limits;

public class ConcurrencyGateTests
{
    [Fact]
    public void A_limit_of_five_admits_exactly_five_of_two_hundred_simultaneous_takers()
    {
        var gate = new ConcurrencyGate();
        var admitted = 0;

        Contention.Run(8, _ =>
        {
            for (var i = 0; i < 25; i++)
            {
                if (gate.TryAcquire(5))
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        });

        Assert.Equal(5, admitted);
        Assert.Equal(5, gate.Count);
    }

    [Fact]
    public void Released_slots_are_taken_again_and_the_count_never_passes_the_limit_under_churn()
    {
        // Eight threads keep the gate at its limit, so nearly every acquire races at the boundary.
        var gate = new ConcurrencyGate();
        var peak = 0;

        Contention.Run(8, _ =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                if (!gate.TryAcquire(3))
                {
                    continue;
                }

                var now = gate.Count;
                int seen;
                while (now > (seen = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                {
                }

                Thread.SpinWait(20); // hold the slot a moment, as a connection would
                gate.Release();
            }
        });

        Assert.InRange(peak, 1, 3);
        Assert.Equal(0, gate.Count);
        Assert.True(gate.TryAcquire(3));
    }

    [Fact]
    public void Zero_means_unlimited_but_still_counts()
    {
        var gate = new ConcurrencyGate();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(gate.TryAcquire(0));
        }

        Assert.Equal(1000, gate.Count);

        // A reload that now sets a limit of 10 sees the 1000 already open.
        Assert.False(gate.TryAcquire(10));
    }

    [Fact]
    public void Releasing_more_than_was_taken_is_a_bug_and_says_so()
    {
        var gate = new ConcurrencyGate();
        Assert.True(gate.TryAcquire(1));
        gate.Release();

        Assert.Throws<InvalidOperationException>(gate.Release);
    }
}
