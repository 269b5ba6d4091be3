using System.Buffers.Binary;
using System.Text;

namespace L4Balancer.TestSupport.Tls;

/// <summary>
/// Encodes a structurally valid ClientHello with the knobs the tests turn: SNI, size (padding
/// extension, RFC 7685), record version and how the handshake message is cut into records.
/// </summary>
public sealed class ClientHelloBuilder
{
    public const int MaxRecordPayload = 16384;

    /// <summary>Host names in the server_name extension; none = no extension.</summary>
    public List<string> ServerNames { get; } = ["llm.acme.example"];

    /// <summary>Replaces the whole server_name extension body when set (for broken encodings).</summary>
    public byte[]? RawServerNameExtension { get; set; }

    public ushort RecordVersion { get; set; } = 0x0301;

    public int SessionIdLength { get; set; } = 32;

    public int CipherSuiteCount { get; set; } = 16;

    public int KeyShareLength { get; set; } = 32;

    /// <summary>Pads (RFC 7685) so the handshake message, 4-byte header included, has exactly this size.</summary>
    public int? MessageSize { get; set; }

    /// <summary>Payload sizes of the records; the last record takes what is left. Default: 16 KiB records.</summary>
    public int[]? RecordSizes { get; set; }

    /// <summary>Splits into this many near-equal records (ignored when <see cref="RecordSizes"/> is set).</summary>
    public int Records { get; set; }

    public List<(ushort Type, byte[] Data)> ExtraExtensions { get; } = [];

    public byte[] Build()
    {
        var message = BuildMessage();
        return Frame(message, RecordVersion, PayloadSizes(message.Length));
    }

    public byte[] BuildMessage()
    {
        var extensions = EncodeExtensions(padding: null);
        if (MessageSize is { } target)
        {
            var unpadded = 4 + BodyLength(extensions.Length);
            var padding = target - unpadded - 4;
            if (padding < 0)
                throw new InvalidOperationException($"hello is already {unpadded} bytes");
            extensions = EncodeExtensions(padding);
        }

        var body = new List<byte>();
        body.AddRange([0x03, 0x03]);
        body.AddRange(Enumerable.Range(0, 32).Select(i => (byte)i));
        body.Add((byte)SessionIdLength);
        body.AddRange(Enumerable.Repeat((byte)0xAB, SessionIdLength));
        U16(body, CipherSuiteCount * 2);
        for (var i = 0; i < CipherSuiteCount; i++)
            U16(body, 0x1301 + i);
        body.AddRange([0x01, 0x00]);
        U16(body, extensions.Length);
        body.AddRange(extensions);

        var message = new List<byte> { 0x01 };
        U24(message, body.Count);
        message.AddRange(body);
        return [.. message];
    }

    /// <summary>Wraps a handshake message into handshake records of the given payload sizes.</summary>
    public static byte[] Frame(byte[] message, ushort version, IReadOnlyList<int> sizes)
    {
        var wire = new List<byte>();
        var offset = 0;
        foreach (var size in sizes)
        {
            wire.Add(0x16);
            U16(wire, version);
            U16(wire, size);
            wire.AddRange(message.AsSpan(offset, size).ToArray());
            offset += size;
        }

        if (offset != message.Length)
            throw new InvalidOperationException("record sizes do not cover the message");
        return [.. wire];
    }

    /// <summary>server_name extension body with one host_name entry per name (raw bytes allowed).</summary>
    public static byte[] ServerNameExtension(params byte[][] hostNames)
    {
        var list = new List<byte>();
        foreach (var name in hostNames)
        {
            list.Add(0);
            U16(list, name.Length);
            list.AddRange(name);
        }

        var ext = new List<byte>();
        U16(ext, list.Count);
        ext.AddRange(list);
        return [.. ext];
    }

    public int[] PayloadSizes(int messageLength)
    {
        if (RecordSizes is { } explicitSizes)
            return [.. explicitSizes, messageLength - explicitSizes.Sum()];

        var count = Records > 0 ? Records : (messageLength + MaxRecordPayload - 1) / MaxRecordPayload;
        var sizes = new int[count];
        for (var i = 0; i < count; i++)
            sizes[i] = messageLength / count + (i < messageLength % count ? 1 : 0);
        return sizes;
    }

    private int BodyLength(int extensionsLength) =>
        2 + 32 + 1 + SessionIdLength + 2 + CipherSuiteCount * 2 + 2 + 2 + extensionsLength;

    private byte[] EncodeExtensions(int? padding)
    {
        var ext = new List<byte>();

        // supported_groups first and key_share after server_name: the SNI is neither first nor last.
        Extension(ext, 10, [0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
        if (RawServerNameExtension is { } raw)
            Extension(ext, 0, raw);
        else if (ServerNames.Count > 0)
            Extension(ext, 0, ServerNameExtension([.. ServerNames.Select(Encoding.ASCII.GetBytes)]));
        Extension(ext, 43, [0x02, 0x03, 0x04]);

        var keyShare = new List<byte>();
        U16(keyShare, 4 + KeyShareLength);
        U16(keyShare, 0x001d);
        U16(keyShare, KeyShareLength);
        keyShare.AddRange(Enumerable.Repeat((byte)0x5A, KeyShareLength));
        Extension(ext, 51, [.. keyShare]);

        foreach (var (type, data) in ExtraExtensions)
            Extension(ext, type, data);
        if (padding is { } n)
            Extension(ext, 21, new byte[n]);
        return [.. ext];
    }

    private static void Extension(List<byte> ext, ushort type, byte[] data)
    {
        U16(ext, type);
        U16(ext, data.Length);
        ext.AddRange(data);
    }

    private static void U16(List<byte> bytes, int value)
    {
        if (value is < 0 or > 0xFFFF)
            throw new InvalidOperationException($"{value} does not fit in a uint16");
        Span<byte> buffer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, (ushort)value);
        bytes.AddRange(buffer);
    }

    private static void U24(List<byte> bytes, int value)
    {
        bytes.Add((byte)(value >> 16));
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
