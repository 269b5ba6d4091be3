namespace L4Balancer.Core.Transport;

internal enum BackendConnectStatus
{
    Connected,

    /// <summary>The connect failed or timed out: the backend's fault (passive health counts it).</summary>
    Failed,

    /// <summary>No socket could be created (descriptors, buffers): the process's limit, not the backend's fault.</summary>
    NoSocket,
}
