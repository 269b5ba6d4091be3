using L4Balancer.Core.Cluster;

namespace L4Balancer.Tests.Cluster;

/// <summary>A store that grants what the test says, or fails as an unreachable Redis does.</summary>
internal sealed class FakeFleetStore : IFleetStore
{
    private readonly Lock _lock = new();
    private readonly List<string> _drains = [];
    private Action<string>? _onMessage;

    public bool Down { get; set; }

    /// <summary>Syncs never answer (a Redis that hangs).</summary>
    public bool Hang { get; set; }

    public int Syncs { get; private set; }

    public int Leaves { get; private set; }

    public TenantDemand? LastDemand { get; private set; }

    /// <summary>The grant for every tenant.</summary>
    public TenantGrant Grant { get; set; } = new(10, 10, 5, 5);

    public IReadOnlyList<string> Members { get; set; } = ["self", "other"];

    public List<string> Published { get; } = [];

    public Task<SyncReply> SyncAsync(string member, TimeSpan ttl, IReadOnlyList<TenantDemand> tenants)
    {
        lock (_lock)
        {
            if (Down)
            {
                return Task.FromException<SyncReply>(new InvalidOperationException("No connection is active/available"));
            }

            if (Hang)
            {
                return new TaskCompletionSource<SyncReply>().Task;
            }

            Syncs++;
            LastDemand = tenants.Count > 0 ? tenants[0] : null;
            return Task.FromResult(new SyncReply(Members, [.. _drains], [.. tenants.Select(_ => Grant)]));
        }
    }

    public Task PublishDrainAsync(string member, FleetDrain drain)
    {
        lock (_lock)
        {
            if (Down)
            {
                return Task.FromException(new InvalidOperationException("No connection is active/available"));
            }

            if (drain.Draining)
            {
                _drains.Add(drain.Key);
            }
            else
            {
                _drains.Remove(drain.Key);
            }

            Published.Add(drain.Message(member));
            return Task.CompletedTask;
        }
    }

    public Task LeaveAsync(string member, IReadOnlyList<string> tenants)
    {
        Leaves++;
        return Task.CompletedTask;
    }

    public Task SubscribeDrainsAsync(Action<string> onMessage)
    {
        _onMessage = onMessage;
        return Task.CompletedTask;
    }

    /// <summary>A message from another member.</summary>
    public void Deliver(string message) => _onMessage?.Invoke(message);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
