using System.Runtime.InteropServices;

namespace L4Balancer.Core.Net;

/// <summary>
/// One node of <see cref="CidrTable{T}"/>'s multibit trie: a path-compressed skip check, then up to
/// 6 address bits that pick one of 64 slots; each slot is a child node or a leaf (an entry index).
/// Children and leaves are stored contiguously elsewhere and found by popcount over the two bitmaps
/// (the Poptrie layout: Asai and Ohara, SIGCOMM 2015), so a node is 64 bytes whatever its fan-out.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct CidrTableNode
{
    /// <summary>Address bits this node's skipped path requires (high and low 64 bits).</summary>
    public readonly ulong KeyHi;
    public readonly ulong KeyLo;

    /// <summary>Selects the skipped bits; zero when the node skips nothing.</summary>
    public readonly ulong MaskHi;
    public readonly ulong MaskLo;

    /// <summary>Bit v set: slot v is a child node, the (popcount of lower set bits)-th after <see cref="ChildBase"/>.</summary>
    public readonly ulong ChildMap;

    /// <summary>Bit v set: slot v starts a new run of equal leaves (child slots are not counted).</summary>
    public readonly ulong LeafMap;

    public readonly int ChildBase;
    public readonly int LeafBase;

    /// <summary>Entry index (or -1) when the address leaves the skipped path: the best prefix above this node.</summary>
    public readonly int Fallback;

    /// <summary>Right shift that brings this node's slot bits to the bottom of the chosen 64-bit half.</summary>
    public readonly byte Shift;

    /// <summary>Slot bits come from the low 64 address bits (else the high ones); strides never straddle the halves.</summary>
    public readonly bool UseLo;

    /// <summary>(1 &lt;&lt; stride) - 1.</summary>
    public readonly byte SlotMask;

    public CidrTableNode(
        ulong keyHi, ulong keyLo, ulong maskHi, ulong maskLo, ulong childMap, ulong leafMap,
        int childBase, int leafBase, int fallback, byte shift, bool useLo, byte slotMask)
    {
        KeyHi = keyHi;
        KeyLo = keyLo;
        MaskHi = maskHi;
        MaskLo = maskLo;
        ChildMap = childMap;
        LeafMap = leafMap;
        ChildBase = childBase;
        LeafBase = leafBase;
        Fallback = fallback;
        Shift = shift;
        UseLo = useLo;
        SlotMask = slotMask;
    }
}
