using System.IO.Hashing;
using System.Net;
using L4Balancer.Core.Config;

namespace L4Balancer.Core.Balancing;

/// <summary>
/// <c>balance = "maglev"</c>: the backend owning entry <c>xxh64(key) mod M</c> of a <see cref="MaglevTable"/>,
/// where the key is the client's address or the SNI name. Every instance with the same backend names,
/// weights and table size sends a key to the same backend, with no coordination.
/// <para>
/// When that backend cannot take the connection (down, draining, at its <c>max_connections</c>, already
/// tried for this connection, or over the bounded load), the pick walks on: it probes further entries in
/// an order derived from the key alone and takes the first backend met that can. Health never rebuilds
/// the table (the paper rebuilds it without a dead backend; we keep one table per config): the walk moves
/// only the keys of the backend that cannot take them, spread over the others in proportion to their
/// weights (a probed entry's owner is each backend in proportion to its entries), and every other key
/// stays put. The walk depends only on the key and the backends' state, so instances that agree on the
/// state agree on it.
/// </para>
/// <para>
/// Bounded load (<c>hash_balance_factor</c>, "Consistent Hashing with Bounded Loads", Mirrokni et al.,
/// as HAProxy's <c>hash-balance-factor</c>): a backend takes a new connection only while
/// <c>active + 1 ≤ ⌈factor/100 · (total active + 1) · weight / total weight⌉</c>, totals over the backends
/// that are up and not draining. With equal weights that is HAProxy's bound, factor/100 times the mean.
/// The bounds add up to more than the connections open, so some backend is always within its bound;
/// when the ones within it are all excluded or full, the first available backend of the walk is taken
/// anyway (the bound shapes load, it does not refuse connections).
/// </para>
/// </summary>
internal sealed class MaglevPolicy : ILoadBalancingPolicy
{
    // A walk marks the backends it has met; on the stack up to this many.
    private const int StackSeenLimit = 512;

    private readonly MaglevTable? _table;
    private readonly HashKey _key;
    private readonly int _balanceFactor;

    /// <param name="backends">The tenant's backends in config order, as <see cref="Pick"/> will be given them.</param>
    public MaglevPolicy(IReadOnlyList<BackendConfig> backends, HashKey key, int tableSize, int balanceFactor)
    {
        // A tenant without backends is valid config (it answers every connection with no_backend).
        _table = backends.Count == 0 ? null : MaglevTable.Build(backends.Select(b => b.Address).ToArray(), backends.Select(b => b.Weight).ToArray(), tableSize);
        _key = key;
        _balanceFactor = balanceFactor;
    }

    public BackendState? Pick(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, PickContext context = default)
    {
        if (backends.Count != (_table?.BackendCount ?? 0))
        {
            // A snapshot builds its policy from its own backend list; anything else is a bug, not a state.
            throw new InvalidOperationException($"maglev table built for {_table?.BackendCount ?? 0} backends, asked to pick among {backends.Count}");
        }

        if (_table is null)
        {
            return null;
        }

        var hash = KeyHash(context);
        var load = _balanceFactor == 0 ? default : Load.Measure(backends, _balanceFactor);
        var owner = backends[_table[(int)(hash % (ulong)_table.Size)]];
        if (Usable(owner, exclude) && load.Allows(owner))
        {
            return owner; // the common case: one hash, one table read
        }

        return Walk(_table, backends, exclude, hash, load);
    }

    /// <summary>The key's hash: the same bytes give the same value in every process on every machine.</summary>
    internal ulong KeyHash(PickContext context)
    {
        if (_key == HashKey.Sni && context.ServerName is { Length: > 0 } name)
        {
            // The SNI peek hands over plain ASCII names, lower-cased, at most 255 bytes; lower-casing again
            // keeps the key right for any other caller.
            Span<byte> bytes = name.Length <= 256 ? stackalloc byte[name.Length] : new byte[name.Length];
            for (var i = 0; i < name.Length; i++)
            {
                bytes[i] = (byte)char.ToLowerInvariant(name[i]);
            }

            return XxHash64.HashToUInt64(bytes);
        }

        return HashAddress(context.ClientAddress);
    }

    /// <summary>
    /// The address's bytes: 4 for IPv4, 16 for IPv6, and 4 for an IPv4-mapped IPv6 address, so a client
    /// hashes the same through an IPv4 listener and a dual-stack one.
    /// </summary>
    private static ulong HashAddress(IPAddress? address)
    {
        if (address is null)
        {
            return XxHash64.HashToUInt64([]);
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return XxHash64.HashToUInt64([]);
        }

        var key = bytes[..written];
        if (written == 16 && address.IsIPv4MappedToIPv6)
        {
            key = key[12..];
        }

        return XxHash64.HashToUInt64(key);
    }

    private static BackendState? Walk(MaglevTable table, IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, ulong hash, Load load)
    {
        var count = backends.Count;
        if (!AnyUsable(backends, exclude))
        {
            return null; // don't probe a whole table to learn that
        }

        Span<bool> seen = count <= StackSeenLimit ? stackalloc bool[count] : new bool[count];
        var seenCount = 0;
        BackendState? overloaded = null;
        var size = (ulong)table.Size;
        var probes = MaxProbes(count);
        for (var attempt = 0; attempt < probes && seenCount < count; attempt++)
        {
            var index = table[(int)(Probe(hash, attempt) % size)];
            if (seen[index])
            {
                continue;
            }

            seen[index] = true;
            seenCount++;
            var candidate = backends[index];
            if (!Usable(candidate, exclude))
            {
                continue;
            }

            if (load.Allows(candidate))
            {
                return candidate;
            }

            overloaded ??= candidate;
        }

        // The probes missed some backends (one whose weight is tiny next to the others' may own almost no
        // entries, or none): those come last, in name order from a point the key chooses.
        var order = table.NameOrder;
        var start = (int)(hash % (ulong)count);
        for (var k = 0; k < count; k++)
        {
            var index = order[(start + k) % count];
            if (!seen[index] && Usable(backends[index], exclude))
            {
                var candidate = backends[index];
                if (load.Allows(candidate))
                {
                    return candidate;
                }

                overloaded ??= candidate;
            }
        }

        return overloaded;
    }

    /// <summary>
    /// The key's n-th probe into the table: the key's own entry first, then entries chosen by re-mixing the
    /// key's hash with the attempt number (murmur3's 64-bit finalizer). Random entries, not the following
    /// ones: consecutive entries are not independent in a Maglev table (measured: the next-entry walk gave
    /// one of four neighbours 1.5× its share of a downed backend's keys and another 0.65×), while a random
    /// entry's owner is each backend in proportion to its weight.
    /// </summary>
    private static ulong Probe(ulong hash, int attempt)
    {
        if (attempt == 0)
        {
            return hash;
        }

        var x = hash + (ulong)attempt * 0x9E3779B97F4A7C15UL;
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }

    /// <summary>
    /// Enough random probes to meet every backend of equal weight with overwhelming odds (coupon collector:
    /// about n·ln n expected), without letting a pathological table cost more than a scan's worth.
    /// </summary>
    private static int MaxProbes(int count) => 8 * count + 32;

    private static bool Usable(BackendState backend, IReadOnlyCollection<BackendState> exclude) =>
        backend.IsAvailable && (exclude.Count == 0 || !exclude.Contains(backend));

    private static bool AnyUsable(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude)
    {
        for (var i = 0; i < backends.Count; i++)
        {
            if (Usable(backends[i], exclude))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The load the bound is computed from, read once per pick; the default allows everything.</summary>
    private readonly struct Load(int factor, long active, long weight)
    {
        public static Load Measure(IReadOnlyList<BackendState> backends, int factor)
        {
            long active = 0, weight = 0;
            for (var i = 0; i < backends.Count; i++)
            {
                var backend = backends[i];
                if (backend.IsUp && backend.IsResolved && !backend.IsDraining && !backend.IsRemoved && !backend.IsAgentDraining && !backend.IsAgentDown)
                {
                    // The agent's weight (issue 16) moves the bound; the table keeps the configured
                    // weights, as rebuilding it on every report would remap clients.
                    active += backend.ActiveConnections;
                    weight += backend.EffectiveWeight;
                }
            }

            return new Load(factor, active, weight);
        }

        /// <summary>
        /// <c>active + 1 ≤ ⌈x⌉</c> is <c>active &lt; x</c> for an integer <c>active</c>, so with
        /// <c>x = factor · (total + 1) · w / (100 · W)</c> the test needs no division. 128-bit, as weights
        /// are up to 2^31 each.
        /// </summary>
        public bool Allows(BackendState backend) =>
            factor == 0 ||
            (Int128)100 * weight * backend.ActiveConnections < (Int128)factor * (active + 1) * backend.EffectiveWeight;
    }
}
