namespace L4Balancer.Core.Transport;

/// <summary>What a relay reports to the connection flow that owns it, from its own threads.</summary>
internal interface IRelayOwner
{
    /// <summary>The peer on <paramref name="side"/> reset the connection, or a send to it failed: tear the connection down.</summary>
    void OnPeerFailed(RelaySide side);

    /// <summary>
    /// Bytes were read from <paramref name="side"/> (for the idle timeout and, from the backend, the stream
    /// telemetry: time to first byte, longest silence). Called once per read that returned bytes, on the
    /// thread that made it; reads from one side never overlap.
    /// </summary>
    void OnReceived(RelaySide side);

    /// <summary>Bytes were sent (for the idle timeout).</summary>
    void OnActivity();
}
