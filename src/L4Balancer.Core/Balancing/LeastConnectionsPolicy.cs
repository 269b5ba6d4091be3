namespace L4Balancer.Core.Balancing;

/// <summary>
/// The available backend with the lowest <c>active / weight</c>. Ties go to whichever comes first
/// from a rotating start index, so equal backends share new connections instead of the first in
/// the list taking them all (which is what a plain scan would do when every backend is idle).
/// </summary>
internal sealed class LeastConnectionsPolicy : ILoadBalancingPolicy
{
    private uint _cursor;

    public BackendState? Pick(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, PickContext context = default)
    {
        var count = backends.Count;
        if (count == 0)
        {
            return null;
        }

        var start = (int)(Interlocked.Increment(ref _cursor) % (uint)count);
        BackendState? best = null;
        long bestActive = 0;
        long bestWeight = 1;
        for (var i = 0; i < count; i++)
        {
            var candidate = backends[(start + i) % count];
            if (!candidate.IsAvailable || (exclude.Count != 0 && exclude.Contains(candidate)))
            {
                continue;
            }

            long active = candidate.ActiveConnections;
            long weight = Math.Max(1, candidate.EffectiveWeight); // the agent's weight (issue 16); at least 1 should it drop to 0 since IsAvailable

            // active/weight < bestActive/bestWeight, without division.
            if (best is null || active * bestWeight < bestActive * weight)
            {
                best = candidate;
                bestActive = active;
                bestWeight = weight;
            }
        }

        return best;
    }
}
