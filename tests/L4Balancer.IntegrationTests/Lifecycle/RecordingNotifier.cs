using System.Collections.Concurrent;
using L4Balancer.Hosting;

namespace L4Balancer.IntegrationTests.Lifecycle;

/// <summary>Stands in for systemd: records RELOADING/READY in order.</summary>
internal sealed class RecordingNotifier : IReloadNotifier
{
    public ConcurrentQueue<string> States { get; } = new();

    public void Reloading() => States.Enqueue("RELOADING");

    public void Ready() => States.Enqueue("READY");
}
