namespace L4Balancer.Core.Routing;

/// <summary>
/// SNI name → tenant (SPEC "SNI"): case-insensitive, an exact name beats a wildcard, and
/// <c>*.acme.example</c> matches any name ending in <c>.acme.example</c> (one or more labels), the
/// longest matching wildcard winning. Built once per snapshot; lookups allocate nothing.
/// </summary>
internal sealed class SniRouter
{
    private readonly Dictionary<string, TenantState> _exact = new(StringComparer.OrdinalIgnoreCase);

    // Keyed by the suffix with its leading dot (".acme.example"), so a lookup probes the name's own
    // suffixes from the longest down: the first hit is the longest matching wildcard.
    private readonly Dictionary<string, TenantState> _wildcards = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, TenantState>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly Dictionary<string, TenantState>.AlternateLookup<ReadOnlySpan<char>> _wildcardLookup;

    public SniRouter(IEnumerable<TenantState> tenants)
    {
        foreach (var tenant in tenants)
        {
            foreach (var name in tenant.Config.Sni)
            {
                // Duplicates are config errors caught by validation; first claim wins if one slips by.
                if (name.StartsWith("*.", StringComparison.Ordinal))
                {
                    _wildcards.TryAdd(name[1..], tenant);
                }
                else
                {
                    _exact.TryAdd(name, tenant);
                }
            }
        }

        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardLookup = _wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool IsEmpty => _exact.Count == 0 && _wildcards.Count == 0;

    public TenantState? Find(ReadOnlySpan<char> serverName)
    {
        if (serverName.EndsWith('.'))
        {
            serverName = serverName[..^1];
        }

        if (serverName.IsEmpty)
        {
            return null;
        }

        if (_exactLookup.TryGetValue(serverName, out var tenant))
        {
            return tenant;
        }

        if (_wildcards.Count == 0)
        {
            return null;
        }

        // "a.b.acme.example": try ".b.acme.example", then ".acme.example", then ".example".
        for (var dot = serverName.IndexOf('.'); dot >= 0; dot = NextDot(serverName, dot))
        {
            if (_wildcardLookup.TryGetValue(serverName[dot..], out tenant))
            {
                return tenant;
            }
        }

        return null;
    }

    private static int NextDot(ReadOnlySpan<char> name, int dot)
    {
        var next = name[(dot + 1)..].IndexOf('.');
        return next < 0 ? -1 : dot + 1 + next;
    }
}
