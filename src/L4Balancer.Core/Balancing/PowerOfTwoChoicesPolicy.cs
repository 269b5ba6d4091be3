namespace L4Balancer.Core.Balancing;

/// <summary>
/// Two random available backends, keep the less loaded (by <c>active / weight</c>). Nearly as good
/// as least connections while touching two entries instead of all; the random source is injected so
/// tests are deterministic.
/// </summary>
internal sealed class PowerOfTwoChoicesPolicy(Random random) : ILoadBalancingPolicy
{
    private readonly Lock _lock = new();

    public BackendState? Pick(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, PickContext context = default)
    {
        var count = backends.Count;
        if (count == 0)
        {
            return null;
        }

        int first, second;
        lock (_lock)
        {
            first = random.Next(count);
            second = count > 1 ? random.Next(count - 1) : 0;
        }

        if (count > 1 && second >= first)
        {
            second++;
        }

        var a = Usable(backends[first], exclude) ? backends[first] : null;
        var b = count > 1 && Usable(backends[second], exclude) ? backends[second] : null;
        if (a is null || b is null)
        {
            // One or both draws were unusable: fall back to a full least-loaded scan so an
            // available backend is never missed because of an unlucky draw.
            return a ?? b ?? LeastLoaded(backends, exclude, first);
        }

        return (long)a.ActiveConnections * b.EffectiveWeight <= (long)b.ActiveConnections * a.EffectiveWeight ? a : b;
    }

    private static bool Usable(BackendState backend, IReadOnlyCollection<BackendState> exclude) =>
        backend.IsAvailable && (exclude.Count == 0 || !exclude.Contains(backend));

    private static BackendState? LeastLoaded(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, int start)
    {
        BackendState? best = null;
        for (var i = 0; i < backends.Count; i++)
        {
            var candidate = backends[(start + i) % backends.Count];
            if (Usable(candidate, exclude) &&
                (best is null || (long)candidate.ActiveConnections * best.EffectiveWeight < (long)best.ActiveConnections * candidate.EffectiveWeight))
            {
                best = candidate;
            }
        }

        return best;
    }
}
