using System.Buffers;
using L4Balancer.Core.Tls;

namespace L4Balancer.Tests.Tls;

/// <summary>
/// One-shot forms of <see cref="ClientHelloReader.TryRead(in ReadOnlySequence{byte}, ref ClientHelloProgress, out string?, int)"/>
/// for tests that read a whole buffer once: the product always resumes a connection's scan.
/// </summary>
internal static class ClientHelloReading
{
    public static ClientHelloResult TryRead(in ReadOnlySequence<byte> buffer, out string? serverName, int maxHelloBytes = ClientHelloReader.DefaultMaxHelloBytes)
    {
        var progress = default(ClientHelloProgress);
        return ClientHelloReader.TryRead(buffer, ref progress, out serverName, maxHelloBytes);
    }

    public static ClientHelloResult TryRead(in ReadOnlySequence<byte> buffer, Span<byte> nameBuffer, out int nameLength, int maxHelloBytes = ClientHelloReader.DefaultMaxHelloBytes)
    {
        var progress = default(ClientHelloProgress);
        return ClientHelloReader.TryRead(buffer, ref progress, nameBuffer, out nameLength, maxHelloBytes);
    }

    public static ClientHelloResult TryRead(in ReadOnlySequence<byte> buffer, ref ClientHelloProgress progress, out string? serverName, int maxHelloBytes = ClientHelloReader.DefaultMaxHelloBytes) =>
        ClientHelloReader.TryRead(buffer, ref progress, out serverName, maxHelloBytes);
}
