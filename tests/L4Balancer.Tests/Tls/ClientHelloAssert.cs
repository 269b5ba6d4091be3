using System.Buffers;
using L4Balancer.Core.Tls;

namespace L4Balancer.Tests.Tls;

internal static class ClientHelloAssert
{
    public static ClientHelloResult Read(byte[] bytes, out string? name, int max = ClientHelloReader.DefaultMaxHelloBytes) =>
        ClientHelloReading.TryRead(new ReadOnlySequence<byte>(bytes), out name, max);

    public static ClientHelloResult Read(byte[] bytes) => Read(bytes, out _);

    public static void Sni(string expected, byte[] bytes)
    {
        var result = Read(bytes, out var name);
        Assert.Equal(ClientHelloResult.Sni, result);
        Assert.Equal(expected, name);
    }

    /// <summary>
    /// Calls the reader and checks the work it did is linear in the input: a deterministic
    /// stand-in for a per-call time limit (the counter only moves in Debug builds).
    /// </summary>
    public static ClientHelloResult ReadBounded(in ReadOnlySequence<byte> buffer, int max = ClientHelloReader.DefaultMaxHelloBytes)
    {
        Span<byte> name = stackalloc byte[ClientHelloReader.MaxHostNameLength];
        var before = ClientHelloReader.LoopIterations;
        var result = ClientHelloReading.TryRead(buffer, name, out var length, max);
        var iterations = ClientHelloReader.LoopIterations - before;
        Assert.True(iterations <= 2 * buffer.Length + 16, $"{iterations} loop passes for {buffer.Length} bytes");
        Assert.True(Enum.IsDefined(result), $"undefined result {result}");
        Assert.True(result == ClientHelloResult.Sni ? length is > 0 and <= 255 : length == 0);
        return result;
    }

    public static ClientHelloResult ReadBounded(byte[] bytes) => ReadBounded(new ReadOnlySequence<byte>(bytes));
}
