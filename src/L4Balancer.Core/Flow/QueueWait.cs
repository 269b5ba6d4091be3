using L4Balancer.Core.Balancing;
using L4Balancer.Core.Model;
using L4Balancer.Core.Routing;

namespace L4Balancer.Core.Flow;

/// <summary>
/// One connection's stay in its tenant's <see cref="Limits.BackendQueue"/> (<c>queue_timeout</c>): entered at
/// the first wait, left once when the connection gets a backend or gives up, timed from the first wait.
/// </summary>
internal sealed class QueueWait(TenantState tenant, TimeProvider time)
{
    private long _since;
    private bool _entered;
    private bool _waitedBefore;

    /// <summary>
    /// Waits for a slot when the tenant queues and some backend that has not failed this connection is up
    /// but full; returns <see cref="CloseReason.None"/> to pick again, or why the connection is refused:
    /// <c>no_backend</c> (no queue, nothing to wait for, or the queue is at <c>max_queue</c>) or
    /// <c>queue_timeout</c>.
    /// </summary>
    public async Task<CloseReason> WaitForSlotAsync(IReadOnlyCollection<BackendState>? failed, CancellationToken cancellation)
    {
        var config = tenant.Config;
        if (config.QueueTimeout <= TimeSpan.Zero || !AnyAtCapacity(tenant.Backends, failed))
        {
            return CloseReason.NoBackend;
        }

        if (!_entered)
        {
            if (!tenant.Limits.Queue.TryEnter(config.MaxQueue))
            {
                return CloseReason.NoBackend;
            }

            _entered = true;
            _since = time.GetTimestamp();
        }

        var remaining = config.QueueTimeout - time.GetElapsedTime(_since);
        if (remaining <= TimeSpan.Zero)
        {
            return CloseReason.QueueTimeout;
        }

        // After a wake-up lost to another connection, or a recheck, it goes back first: it has waited longest.
        await tenant.Limits.Queue.WaitAsync(remaining, atHead: _waitedBefore, time, cancellation).ConfigureAwait(false);
        _waitedBefore = true;
        return CloseReason.None;
    }

    public void Leave()
    {
        if (_entered)
        {
            _entered = false;
            tenant.Limits.Queue.Leave();
        }
    }

    private static bool AnyAtCapacity(IReadOnlyList<BackendState> backends, IReadOnlyCollection<BackendState>? failed)
    {
        foreach (var backend in backends)
        {
            if (backend.IsAtCapacity && (failed is null || !failed.Contains(backend)))
            {
                return true;
            }
        }

        return false;
    }
}
