namespace L4Balancer.Core.Transport;

/// <summary>How <see cref="IRelay.ConnectAsync"/> ended.</summary>
/// <param name="Error">Why it failed ("ConnectionRefused", "timeout", …), empty when connected.</param>
/// <param name="OutOfDescriptors">No socket could be made because the process is out of descriptors (EMFILE).</param>
internal readonly record struct BackendConnect(BackendConnectStatus Status, string Error, bool OutOfDescriptors = false)
{
    public static BackendConnect Connected => new(BackendConnectStatus.Connected, "");
}
