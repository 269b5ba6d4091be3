namespace L4Balancer.Core.Balancing;

/// <summary>
/// Smooth weighted round robin (nginx's algorithm): weights 5,1,1 give a,a,b,a,c,a,a rather than
/// a,a,a,a,a,b,c, so a heavy backend does not get bursts. The per-backend running weights are
/// indexed by position and reset when the backend list changes (a reload builds a new policy).
/// </summary>
internal sealed class RoundRobinPolicy : ILoadBalancingPolicy
{
    private readonly Lock _lock = new();
    private long[] _current = [];

    public BackendState? Pick(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState> exclude, PickContext context = default)
    {
        lock (_lock)
        {
            if (_current.Length != backends.Count)
            {
                _current = new long[backends.Count];
            }

            BackendState? best = null;
            var bestIndex = -1;
            long total = 0;
            for (var i = 0; i < backends.Count; i++)
            {
                var candidate = backends[i];
                if (!candidate.IsAvailable || (exclude.Count != 0 && exclude.Contains(candidate)))
                {
                    continue;
                }

                var weight = Math.Max(1, candidate.EffectiveWeight); // the agent's weight (issue 16)
                _current[i] += weight;
                total += weight;
                if (best is null || _current[i] > _current[bestIndex])
                {
                    best = candidate;
                    bestIndex = i;
                }
            }

            if (bestIndex >= 0)
            {
                _current[bestIndex] -= total;
            }

            return best;
        }
    }
}
