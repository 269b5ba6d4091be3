using System.IO.Hashing;
using System.Text;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Balancing;

/// <summary>
/// Maglev's lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
/// NSDI 2016, pseudocode listing 1), weighted as Envoy's <c>maglev_lb.cc</c> does it. Each backend has a
/// permutation of the M entries (<c>offset = xxh64(name, 0) mod M</c>, <c>skip = xxh64(name, 1) mod (M-1) + 1</c>,
/// entry <c>j</c> = <c>(offset + j·skip) mod M</c>); backends take turns claiming the next free entry of their
/// own permutation until the table is full, a backend of weight w taking a turn in w of every
/// <c>max weight</c> rounds. Backends are ordered by name (ordinal) before the turns start, so every process
/// with the same names and weights builds the same table whatever order the config lists them in.
/// Built once per config load or reload, never per connection.
/// </summary>
internal sealed class MaglevTable
{
    private const ushort Empty = ushort.MaxValue;

    private readonly ushort[] _entries;

    private MaglevTable(ushort[] entries, int[] nameOrder)
    {
        _entries = entries;
        NameOrder = nameOrder;
    }

    /// <summary>M, the number of entries.</summary>
    public int Size => _entries.Length;

    public int BackendCount => NameOrder.Count;

    /// <summary>The backends' indices sorted by name: the one order every instance agrees on.</summary>
    public IReadOnlyList<int> NameOrder { get; }

    /// <summary>The backend (an index into the list the table was built from) owning entry <paramref name="slot"/>.</summary>
    public int this[int slot] => _entries[slot];

    /// <param name="names">The backends' names, in the caller's order (the table's indices refer to it).</param>
    /// <param name="weights">Their weights (> 0), same order.</param>
    /// <param name="size">M: a prime larger than the number of backends.</param>
    public static MaglevTable Build(IReadOnlyList<string> names, IReadOnlyList<int> weights, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(weights.Count, names.Count, nameof(weights));
        ArgumentOutOfRangeException.ThrowIfZero(names.Count, nameof(names));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(names.Count, MaglevTableSize.MaxBackends, nameof(names));
        if (size <= names.Count || !MaglevTableSize.IsPrime(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "the table size must be a prime larger than the number of backends");
        }

        var count = names.Count;

        // Turn order by name, the only order every instance agrees on.
        var order = Enumerable.Range(0, count).OrderBy(i => names[i], StringComparer.Ordinal).ToArray();
        var position = new long[count];
        var skip = new long[count];
        long maxWeight = 0;
        for (var i = 0; i < count; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weights[i], nameof(weights));
            var name = Encoding.UTF8.GetBytes(names[i]);
            position[i] = (long)(XxHash64.HashToUInt64(name, 0) % (ulong)size);
            skip[i] = (long)(XxHash64.HashToUInt64(name, 1) % (ulong)(size - 1)) + 1;
            maxWeight = Math.Max(maxWeight, weights[i]);
        }

        var entries = new ushort[size];
        Array.Fill(entries, Empty);

        // Envoy's weighting: in round r a backend takes a turn when r·weight has reached its target, which
        // then moves on by the largest weight, so over R rounds it takes about R·weight/maxWeight turns and
        // the heaviest backend one per round. Integers here (Envoy uses doubles), so no rounding drift.
        var target = new long[count];
        var filled = 0;
        for (long round = 1; filled < size; round++)
        {
            for (var k = 0; k < count && filled < size; k++)
            {
                var i = order[k];
                if (round * weights[i] < target[i])
                {
                    continue;
                }

                target[i] += maxWeight;

                // The next entry of this backend's permutation that no one has claimed. M is prime and the
                // skip is in 1..M-1, so the permutation visits every entry and this always ends.
                var slot = position[i];
                while (entries[slot] != Empty)
                {
                    slot += skip[i];
                    if (slot >= size)
                    {
                        slot -= size;
                    }
                }

                entries[slot] = (ushort)i;
                position[i] = slot + skip[i] >= size ? slot + skip[i] - size : slot + skip[i];
                filled++;
            }
        }

        return new MaglevTable(entries, order);
    }

    /// <summary>How many entries each backend owns (its share of keys is its count / M).</summary>
    public int[] CountEntries()
    {
        var counts = new int[BackendCount];
        foreach (var owner in _entries)
        {
            counts[owner]++;
        }

        return counts;
    }
}
