namespace L4Balancer.Core.Transport;

/// <summary>What a relay reports to the connection flow that owns it, from its own threads.</summary>
internal interface IRelayOwner
{
    /// <summary>The peer on <paramref name="side"/> reset the connection, or a send to it failed: tear the connection down.</summary>
    void OnPeerFailed(RelaySide side);

    /// <summary>Bytes moved (for the idle timeout).</summary>
    void OnActivity();
}
