using System.Collections.Concurrent;
using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Limits;

/// <summary>
/// Concurrency per source address. Addresses are keyed by <see cref="IpPrefix.ToBits"/>, so an
/// IPv4 client counts once whether it arrived on an IPv4 socket or as <c>::ffff:a.b.c.d</c> on a
/// dual-stack one. An address's entry is removed when its count returns to zero, so the map holds
/// only addresses with open connections (no growth with the number of addresses ever seen).
/// </summary>
/// <remarks>
/// Removal races with a concurrent acquire for the same address; an entry is therefore retired
/// first (its count CAS'd from 0 to -1, after which nobody can take it) and only then removed by
/// value. An acquirer that finds a retired entry helps remove it and retries with a fresh one.
/// </remarks>
internal sealed class PerIpGate
{
    private readonly ConcurrentDictionary<UInt128, Entry> _entries = new();

    /// <summary>Addresses that currently hold at least one slot (or are being retired this instant).</summary>
    public int TrackedAddresses => _entries.Count;

    public static UInt128 KeyOf(IPAddress address) => IpPrefix.ToBits(address);

    public int CountFor(IPAddress address) =>
        _entries.TryGetValue(KeyOf(address), out var entry) ? Math.Max(0, Volatile.Read(ref entry.Count)) : 0;

    /// <summary>Takes a slot for <paramref name="key"/> unless it holds <paramref name="limit"/> already; 0 = unlimited (still counted).</summary>
    public bool TryAcquire(UInt128 key, int limit)
    {
        while (true)
        {
            var entry = _entries.GetOrAdd(key, static _ => new Entry());
            var current = Volatile.Read(ref entry.Count);
            while (current >= 0)
            {
                if (limit > 0 && current >= limit)
                {
                    // A full entry has holders, and the last of them removes it: nothing is left behind.
                    return false;
                }

                var seen = Interlocked.CompareExchange(ref entry.Count, current + 1, current);
                if (seen == current)
                {
                    return true;
                }

                current = seen;
            }

            // Retired by the last holder's release: make sure it is gone, then start over.
            _entries.TryRemove(new KeyValuePair<UInt128, Entry>(key, entry));
        }
    }

    public void Release(UInt128 key)
    {
        // A held slot keeps its entry alive (count > 0 is never retired), so the lookup finds it.
        if (!_entries.TryGetValue(key, out var entry))
        {
            throw new InvalidOperationException("a per-address slot was released that was never taken");
        }

        var remaining = Interlocked.Decrement(ref entry.Count);
        if (remaining < 0)
        {
            throw new InvalidOperationException("a per-address slot was released twice");
        }

        if (remaining == 0 && Interlocked.CompareExchange(ref entry.Count, -1, 0) == 0)
        {
            _entries.TryRemove(new KeyValuePair<UInt128, Entry>(key, entry));
        }
    }

    private sealed class Entry
    {
        /// <summary>Slots held; -1 = retired (being removed, never to be taken again).</summary>
        public int Count;
    }
}
