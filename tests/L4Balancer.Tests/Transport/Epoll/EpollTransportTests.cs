using L4Balancer.Core.Transport.Epoll;
using L4Balancer.TestSupport.Platform;

namespace L4Balancer.Tests.Transport.Epoll;

public class EpollTransportTests
{
    [LinuxFact]
    public void A_burst_accepted_on_one_loop_is_spread_over_the_loops()
    {
        using var transport = new EpollTransport(threads: 2, pipeSize: 64 * 1024, TimeProvider.System);
        var accepting = transport.Loops[0];
        var other = transport.Loops[1];

        // What the acceptor does for each connection of a burst that one loop's accept batch takes.
        var placed = new Dictionary<EpollLoop, int> { [accepting] = 0, [other] = 0 };
        for (var i = 0; i < 64; i++)
        {
            var target = transport.PickLoop(accepting);
            target.AddConnection();
            placed[target]++;
        }

        // Within the slack of two (the accepting loop keeps a tie and one more).
        Assert.Equal(33, placed[accepting]);
        Assert.Equal(31, placed[other]);
    }

    [LinuxFact]
    public void A_connection_stays_on_its_loop_while_the_loops_are_within_one_of_each_other()
    {
        using var transport = new EpollTransport(threads: 2, pipeSize: 64 * 1024, TimeProvider.System);
        var (a, b) = (transport.Loops[0], transport.Loops[1]);

        Assert.Same(a, transport.PickLoop(a)); // 0 and 0
        a.AddConnection();
        Assert.Same(a, transport.PickLoop(a)); // 1 and 0: a hand-off would cost more than it evens out
        a.AddConnection();
        Assert.Same(b, transport.PickLoop(a)); // 2 and 0
        b.AddConnection();
        b.AddConnection();
        b.AddConnection();
        Assert.Same(b, transport.PickLoop(b)); // 2 and 3
        b.AddConnection();
        Assert.Same(a, transport.PickLoop(b)); // 2 and 4
        a.RemoveConnection();
        a.RemoveConnection();
        Assert.Same(a, transport.PickLoop(b)); // 0 and 4
    }
}
