namespace L4Balancer.Core.Proxy;

/// <summary>What a <see cref="SocketPipe"/> reports to the session that owns it.</summary>
internal interface IRelayOwner
{
    /// <summary>The peer on <paramref name="side"/> reset the connection, or a send to it failed: tear the session down.</summary>
    void OnPeerFailed(RelaySide side);

    /// <summary>Bytes moved (for the idle timeout).</summary>
    void OnActivity();
}
