using System.Diagnostics;

namespace L4Balancer.Core.Net;

/// <summary>
/// Builds the flat node and leaf arrays of <see cref="CidrTable{T}"/> from prefixes sorted by
/// (bits, length) with no duplicates. Leaves hold indexes into that sorted array (-1 = no match).
/// Leaf pushing: every slot's leaf is already the longest prefix covering the slot, so a lookup
/// never backtracks; it stops at the first leaf (or at the first skipped path it leaves).
/// </summary>
internal sealed class CidrTrieBuilder
{
    public const int NoMatch = -1;
    private const int MaxStride = 6;
    private const int V4Depth = 96;
    private static readonly UInt128 V4Region = (UInt128)0xFFFF << 32;

    private readonly IpPrefix[] _prefixes;
    private readonly List<CidrTableNode> _nodes = [];
    private readonly List<int> _leaves = [];

    private CidrTrieBuilder(IpPrefix[] prefixes) => _prefixes = prefixes;

    /// <summary>
    /// Two roots: addresses in <c>::ffff:0:0/96</c> start at the IPv4 root (depth 96) and never walk the
    /// 96 bits every IPv4 address shares; all others start at the IPv6 root. The IPv6 trie leaves the
    /// IPv4 region out, since no IPv4 address reaches it, and prefixes shorter than /96 that contain
    /// the whole region (<c>::/0</c>) become the IPv4 root's fallback.
    /// </summary>
    public static (CidrTableNode[] Nodes, int[] Leaves, int V4Root, int V6Root) Build(IpPrefix[] sortedDistinct)
    {
        var builder = new CidrTrieBuilder(sortedDistinct);
        var v4 = new List<int>();
        var v6 = new List<int>();
        var v4Fallback = NoMatch;
        for (var i = 0; i < sortedDistinct.Length; i++)
        {
            var prefix = sortedDistinct[i];
            if (prefix.Length >= V4Depth && (prefix.Bits & IpPrefix.Mask(V4Depth)) == V4Region)
            {
                v4.Add(i);
                continue;
            }

            if (prefix.Contains(V4Region) && (v4Fallback == NoMatch || prefix.Length > sortedDistinct[v4Fallback].Length))
            {
                v4Fallback = i;
            }

            v6.Add(i);
        }

        var v6Root = builder.Reserve(1);
        builder.BuildNode(v6Root, v6, UInt128.Zero, 0, NoMatch);
        var v4Root = builder.Reserve(1);
        builder.BuildNode(v4Root, v4, V4Region, V4Depth, v4Fallback);
        return ([.. builder._nodes], [.. builder._leaves], v4Root, v6Root);
    }

    private int Reserve(int count)
    {
        var first = _nodes.Count;
        for (var i = 0; i < count; i++)
        {
            _nodes.Add(default);
        }

        return first;
    }

    /// <param name="index">The reserved slot in the node array this node goes to.</param>
    /// <param name="entries">Sorted entry indexes, all inside the region and at least <paramref name="depth"/> long.</param>
    /// <param name="regionKey">The region's bits (only used when <paramref name="entries"/> is empty).</param>
    /// <param name="depth">The region's prefix length: bits above it were checked by the ancestors.</param>
    /// <param name="fallback">The longest prefix shorter than the region that covers it.</param>
    private void BuildNode(int index, List<int> entries, UInt128 regionKey, int depth, int fallback)
    {
        Debug.Assert(depth < 128, "a /128 region is always a leaf");

        // Path compression: jump to where the entries first differ (or the shortest one ends). No
        // entry ends inside the skipped bits, so an address that leaves them matches only the fallback.
        var nodeDepth = depth;
        var key = regionKey;
        if (entries.Count > 0)
        {
            var first = _prefixes[entries[0]];
            var last = _prefixes[entries[^1]];
            var minLength = 128;
            foreach (var e in entries)
            {
                minLength = Math.Min(minLength, _prefixes[e].Length);
            }

            // Sorted, so the common prefix of the first and the last is the common prefix of all.
            var common = (int)UInt128.LeadingZeroCount(first.Bits ^ last.Bits);
            nodeDepth = Math.Min(Math.Min(minLength, common), 127);
            key = first.Bits & IpPrefix.Mask(nodeDepth);
        }

        var skipMask = IpPrefix.Mask(nodeDepth) & ~IpPrefix.Mask(depth);

        // The region's own prefix sorts first (lowest bits, then shortest) and covers every slot.
        var best = fallback;
        var start = 0;
        if (entries.Count > 0 && _prefixes[entries[0]].Length == nodeDepth)
        {
            best = entries[0];
            start = 1;
        }

        // Strides never straddle the two 64-bit halves, so a lookup shifts one ulong, not a UInt128.
        var stride = Math.Min(MaxStride, (nodeDepth < 64 ? 64 : 128) - nodeDepth);
        var end = nodeDepth + stride;
        var slots = 1 << stride;

        var slotBest = new int[slots];
        Array.Fill(slotBest, best);
        var shorter = new List<int>();
        var groups = new List<int>?[slots];
        for (var i = start; i < entries.Count; i++)
        {
            var e = entries[i];
            if (_prefixes[e].Length < end)
            {
                shorter.Add(e);
            }
            else
            {
                (groups[SlotOf(_prefixes[e].Bits, end, slots)] ??= []).Add(e);
            }
        }

        // Prefix expansion: a prefix ending inside the stride owns a run of slots; longer ones override.
        shorter.Sort((a, b) => _prefixes[a].Length.CompareTo(_prefixes[b].Length));
        foreach (var e in shorter)
        {
            var first = SlotOf(_prefixes[e].Bits, end, slots);
            Array.Fill(slotBest, e, first, 1 << (end - _prefixes[e].Length));
        }

        ulong childMap = 0;
        ulong leafMap = 0;
        var leafBase = _leaves.Count;
        var previousLeaf = 0;
        var anyLeaf = false;
        for (var v = 0; v < slots; v++)
        {
            var group = groups[v];
            int leaf;
            if (group is null)
            {
                leaf = slotBest[v];
            }
            else if (group.Count == 1 && _prefixes[group[0]].Length == end)
            {
                leaf = group[0];
            }
            else
            {
                childMap |= 1UL << v;
                continue;
            }

            if (!anyLeaf || leaf != previousLeaf)
            {
                leafMap |= 1UL << v;
                _leaves.Add(leaf);
                previousLeaf = leaf;
                anyLeaf = true;
            }
        }

        var childBase = Reserve((int)ulong.PopCount(childMap));
        var useLo = nodeDepth >= 64;
        _nodes[index] = new CidrTableNode(
            keyHi: (ulong)(key >> 64),
            keyLo: (ulong)key,
            maskHi: (ulong)(skipMask >> 64),
            maskLo: (ulong)skipMask,
            childMap: childMap,
            leafMap: leafMap,
            childBase: childBase,
            leafBase: leafBase,
            fallback: fallback,
            shift: (byte)((useLo ? 128 : 64) - end),
            useLo: useLo,
            slotMask: (byte)(slots - 1));

        var child = childBase;
        for (var v = 0; v < slots; v++)
        {
            if ((childMap & (1UL << v)) != 0)
            {
                var slotKey = key | ((UInt128)(uint)v << (128 - end));
                BuildNode(child++, groups[v]!, slotKey, end, slotBest[v]);
            }
        }
    }

    private static int SlotOf(UInt128 bits, int end, int slots) => (int)(ulong)(bits >> (128 - end)) & (slots - 1);
}
