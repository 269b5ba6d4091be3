using System.Buffers.Binary;
using System.Text;

namespace L4Balancer.Benchmarks;

/// <summary>
/// A browser-shaped ClientHello (session id, 16 suites, groups, SNI, supported_versions, an X25519
/// key share) padded with RFC 7685 padding to an exact size and cut into handshake records.
/// </summary>
internal static class SyntheticClientHello
{
    public static byte[] Create(string serverName, int messageSize, int records)
    {
        var name = Encoding.ASCII.GetBytes(serverName);
        var extensions = new List<byte>();
        Extension(extensions, 10, [0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
        Extension(extensions, 0, [.. U16(name.Length + 3), 0x00, .. U16(name.Length), .. name]);
        Extension(extensions, 43, [0x02, 0x03, 0x04]);
        Extension(extensions, 51, [.. U16(36), 0x00, 0x1d, .. U16(32), .. new byte[32]]);

        byte[] Body(List<byte> ext) =>
            [0x03, 0x03, .. new byte[32], 32, .. new byte[32], .. U16(32), .. new byte[32], 0x01, 0x00, .. U16(ext.Count), .. ext];

        var padding = messageSize - 4 - Body(extensions).Length - 4;
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(messageSize), $"at least {messageSize - padding} bytes");
        Extension(extensions, 21, new byte[padding]);

        var body = Body(extensions);
        byte[] message = [0x01, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

        var wire = new List<byte>();
        for (var i = 0; i < records; i++)
        {
            var start = message.Length * i / records;
            var end = message.Length * (i + 1) / records;
            wire.AddRange([0x16, 0x03, 0x01, .. U16(end - start)]);
            wire.AddRange(message[start..end]);
        }

        return [.. wire];
    }

    private static void Extension(List<byte> extensions, ushort type, byte[] data)
    {
        extensions.AddRange(U16(type));
        extensions.AddRange(U16(data.Length));
        extensions.AddRange(data);
    }

    private static byte[] U16(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, checked((ushort)value));
        return bytes;
    }
}
