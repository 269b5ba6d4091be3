namespace L4Balancer.Core.Transport;

/// <summary>The client reset the connection (or a read from it failed) while the flow read its first bytes.</summary>
internal sealed class PeerFailedException(string error, Exception? inner = null) : IOException($"the peer failed: {error}", inner);
