using L4Balancer.Core.Limits;

namespace L4Balancer.Tests.Limits;

public class PendingHandshakeSetTests
{
    private sealed class Pending(long progress) : IPendingHandshake
    {
        public int Evictions { get; private set; }

        public long HelloProgress { get; set; } = progress;

        public void Evict() => Evictions++;
    }

    [Fact]
    public void Below_the_bound_nobody_is_evicted_and_leaving_frees_the_slot()
    {
        var set = new PendingHandshakeSet();
        var nodes = Enumerable.Range(0, 3).Select(_ => set.Enter(new Pending(0), limit: 3)).ToList();
        Assert.Equal(3, set.Count);
        Assert.Equal(0, set.Evicted);

        set.Leave(nodes[1]);
        set.Leave(nodes[1]); // twice is harmless
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void At_the_bound_the_least_advanced_of_the_oldest_window_is_evicted_and_never_a_newer_one()
    {
        var set = new PendingHandshakeSet();
        var window = PendingHandshakeSet.EvictionWindow;

        // The oldest `window` have made progress, except one in the middle; a newer one outside the
        // window has made none at all, but age protects it: it has had less time.
        var old = Enumerable.Range(0, window).Select(i => new Pending(i == 5 ? 1 : 100)).ToList();
        var young = new Pending(0);
        old.ForEach(p => set.Enter(p, limit: window + 1));
        set.Enter(young, limit: window + 1);

        var newcomer = new Pending(0);
        set.Enter(newcomer, limit: window + 1);

        Assert.Equal(1, old[5].Evictions);
        Assert.Equal(0, old.Where((_, i) => i != 5).Sum(p => p.Evictions) + young.Evictions + newcomer.Evictions);
        Assert.Equal(window + 1, set.Count);
        Assert.Equal(1, set.Evicted);
    }

    [Fact]
    public void Ties_go_to_the_oldest_and_an_evicted_one_leaving_later_frees_nothing()
    {
        var set = new PendingHandshakeSet();
        var first = new Pending(0);
        var firstNode = set.Enter(first, limit: 2);
        var second = new Pending(0);
        set.Enter(second, limit: 2);

        set.Enter(new Pending(0), limit: 2);
        Assert.Equal((1, 0), (first.Evictions, second.Evictions));

        // The evicted session finishes and leaves: its slot already belongs to the newcomer.
        set.Leave(firstNode);
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void Unlimited_never_evicts()
    {
        var set = new PendingHandshakeSet();
        var all = Enumerable.Range(0, 100).Select(_ => new Pending(0)).ToList();
        all.ForEach(p => set.Enter(p, limit: 0));
        Assert.Equal(100, set.Count);
        Assert.All(all, p => Assert.Equal(0, p.Evictions));
    }

    [Fact]
    public async Task Concurrent_entries_never_exceed_the_bound()
    {
        var set = new PendingHandshakeSet();
        var evictions = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                var node = set.Enter(new Pending(i), limit: 16);
                Assert.True(set.Count <= 16);
                if (i % 3 == 0)
                {
                    set.Leave(node);
                }
            }
        })));

        evictions = (int)set.Evicted;
        Assert.True(set.Count <= 16);
        Assert.True(evictions > 0);
    }
}
