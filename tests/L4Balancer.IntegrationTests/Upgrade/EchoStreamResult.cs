using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// How a <see cref="EchoStream"/> ended: bytes each way, SHA-256 of what was sent and of what came back,
/// the socket error if one ended it, and when the last byte came back (Stopwatch timestamp).
/// </summary>
internal sealed record EchoStreamResult(long Sent, long Received, string SentHash, string ReceivedHash, SocketError? Error, long EndedAt)
{
    public bool Intact => Error is null && Sent == Received && SentHash == ReceivedHash;

    public override string ToString() =>
        $"sent {Sent} B, received {Received} B, {(SentHash == ReceivedHash ? "same SHA-256" : $"SHA-256 {SentHash} vs {ReceivedHash}")}{(Error is { } e ? $", ended by {e}" : "")}";
}
