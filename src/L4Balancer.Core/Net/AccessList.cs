using System.Net;

namespace L4Balancer.Core.Net;

/// <summary>
/// SPEC "CIDR lists": allow and deny prefixes share one trie, and a source address takes the verdict
/// of its longest matching prefix, so <c>deny 10.6.6.0/24</c> inside <c>allow 10.0.0.0/8</c> denies
/// and an allow inside a deny allows. An address no prefix matches is allowed only when there are no
/// allow entries. The global deny list is a separate instance built with deny entries only.
/// </summary>
internal sealed class AccessList
{
    private readonly CidrTable<AccessVerdict> _rules;
    private readonly bool _allowUnmatched;

    private AccessList(CidrTable<AccessVerdict> rules, bool allowUnmatched)
    {
        _rules = rules;
        _allowUnmatched = allowUnmatched;
    }

    /// <summary>No rules: every address is allowed.</summary>
    public static AccessList Empty { get; } = Create([], []);

    /// <summary>Distinct prefixes across both lists (a prefix in both counts once).</summary>
    public int Count => _rules.Count;

    /// <summary>
    /// A prefix listed in both <paramref name="allow"/> and <paramref name="deny"/> denies: the deny
    /// entries go in after the allow entries and <see cref="CidrTable{T}.Build"/> keeps the later one.
    /// Failing closed is the safer reading of a contradictory config.
    /// </summary>
    public static AccessList Create(IEnumerable<IpPrefix> allow, IEnumerable<IpPrefix> deny)
    {
        ArgumentNullException.ThrowIfNull(allow);
        ArgumentNullException.ThrowIfNull(deny);
        var allowList = allow.ToList();
        var rules = CidrTable<AccessVerdict>.Build(
            allowList.Select(p => (p, AccessVerdict.Allow))
                .Concat(deny.Select(p => (p, AccessVerdict.Deny))));
        return new AccessList(rules, allowUnmatched: allowList.Count == 0);
    }

    public bool IsAllowed(UInt128 address) =>
        _rules.TryLookup(address, out var verdict, out _) ? verdict == AccessVerdict.Allow : _allowUnmatched;

    /// <summary>An IPv4-mapped IPv6 source (from a dual-stack socket) is judged by the IPv4 rules.</summary>
    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IsAllowed(IpPrefix.ToBits(address));
    }
}
