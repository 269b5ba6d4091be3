using System.Net;
using L4Balancer.Core.Limits;

namespace L4Balancer.Tests.Limits;

public class PerIpGateTests
{
    private static readonly UInt128 A = PerIpGate.KeyOf(IPAddress.Parse("192.0.2.1"));
    private static readonly UInt128 B = PerIpGate.KeyOf(IPAddress.Parse("192.0.2.2"));

    [Fact]
    public void A_limit_of_five_admits_exactly_five_simultaneous_connections_from_one_address()
    {
        var gate = new PerIpGate();
        var admitted = 0;

        Contention.Run(8, _ =>
        {
            for (var i = 0; i < 25; i++)
            {
                if (gate.TryAcquire(A, 5))
                {
                    Interlocked.Increment(ref admitted);
                }
            }
        });

        Assert.Equal(5, admitted);
        Assert.Equal(5, gate.CountFor(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void Addresses_are_counted_apart()
    {
        var gate = new PerIpGate();
        Assert.True(gate.TryAcquire(A, 1));
        Assert.False(gate.TryAcquire(A, 1));
        Assert.True(gate.TryAcquire(B, 1));
        Assert.Equal(2, gate.TrackedAddresses);
    }

    [Theory]
    [InlineData("10.1.2.3", "::ffff:10.1.2.3")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3")]
    public void An_ipv4_mapped_ipv6_client_counts_as_its_ipv4_address(string first, string second)
    {
        var gate = new PerIpGate();
        Assert.True(gate.TryAcquire(PerIpGate.KeyOf(IPAddress.Parse(first)), 1));

        Assert.False(gate.TryAcquire(PerIpGate.KeyOf(IPAddress.Parse(second)), 1));
        Assert.Equal(1, gate.TrackedAddresses);
    }

    [Fact]
    public void An_address_entry_is_removed_when_its_last_slot_is_released()
    {
        var gate = new PerIpGate();
        Assert.True(gate.TryAcquire(A, 0));
        Assert.True(gate.TryAcquire(A, 0));
        gate.Release(A);
        Assert.Equal(1, gate.TrackedAddresses);

        gate.Release(A);

        Assert.Equal(0, gate.TrackedAddresses);
        Assert.Throws<InvalidOperationException>(() => gate.Release(A));
    }

    [Fact]
    public void Churn_over_many_addresses_never_passes_the_limit_and_leaves_no_entries_behind()
    {
        // Acquires and releases race on the same few addresses, so entries are retired and re-created
        // concurrently: the retire-then-remove protocol must neither lose a slot nor leak an entry.
        var gate = new PerIpGate();
        var keys = Enumerable.Range(1, 4).Select(i => PerIpGate.KeyOf(IPAddress.Parse($"198.51.100.{i}"))).ToArray();
        var inside = new int[keys.Length];
        var overLimit = 0;

        Contention.Run(8, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 50_000; i++)
            {
                var k = random.Next(keys.Length);
                if (!gate.TryAcquire(keys[k], 2))
                {
                    continue;
                }

                if (Interlocked.Increment(ref inside[k]) > 2)
                {
                    Interlocked.Increment(ref overLimit);
                }

                Thread.SpinWait(20); // hold the slot a moment, as a connection would
                Interlocked.Decrement(ref inside[k]);
                gate.Release(keys[k]);
            }
        });

        Assert.Equal(0, overLimit);
        Assert.Equal(0, gate.TrackedAddresses);
    }
}
