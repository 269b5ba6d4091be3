using System.Buffers.Binary;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.IntegrationTests.Tls.Fuzz;

/// <summary>One fuzz input: what goes on the wire, and which mutation made it.</summary>
internal sealed record FuzzInput(int Index, string Class, byte[] Bytes)
{
    /// <summary>Set on the probes: a valid hello for this SNI must reach this tenant untouched.</summary>
    public string? ProbeTenant { get; init; }
}

/// <summary>
/// Makes socket-level fuzz inputs from real ClientHellos (<see cref="CapturedHellos"/> and
/// <see cref="ClientHelloBuilder"/> ones): byte flips, broken length fields, truncation, duplicated
/// extensions, odd record splits, garbage; and the three inputs over 64 KiB that the peek's pause
/// threshold is about. Every input is a pure function of (seed, index), so one failing input can be
/// rebuilt alone whatever order the parallel connections ran in.
/// </summary>
internal static class HelloMutator
{
    /// <summary>Each class's input is no bigger than a few tens of KiB: under the 64 KiB pause threshold.</summary>
    public static readonly string[] SmallClasses =
    [
        "byte_flip", "length_field", "record_length", "header_field", "record_split",
        "empty_record", "truncation", "duplicate_extension", "garbage",
    ];

    /// <summary>More than 64 KiB sent at once (issue 11: such sessions are known to stay open).</summary>
    public static readonly string[] BigClasses = ["record_claims_64k", "handshake_claims_80k", "random_100k"];

    /// <summary>SNI names of the probes and the tenant of <see cref="SniTenantSet"/> each must reach.</summary>
    public static readonly (string Name, string Tenant)[] ProbeNames =
    [
        ("llm.acme.example", "acme"),
        ("foo.acme.example", "acme"),
        ("api.beta.example", "beta"),
        ("x.acme.example", "special"),
        ("a.b.deep.acme.example", "deep"),
        ("API.BETA.EXAMPLE.", "beta"),
    ];

    private static readonly string[] RealCaptures = ["openssl-sni", "openssl-nosni", "openssl-tls12", "openssl-big"];
    private static readonly Lazy<byte[][]> RealMessages = new(() => [.. RealCaptures.Select(name => Unframe(CapturedHellos.Load(name)))]);

    public static Random RandomFor(int seed, int index) => new(unchecked((seed * 1_000_003) ^ (index * 7919) ^ 0x5bd1e995));

    public static FuzzInput Probe(int seed, int index)
    {
        var random = RandomFor(seed, index);
        var (name, tenant) = ProbeNames[random.Next(ProbeNames.Length)];
        var builder = Builder(name, random);
        var message = builder.BuildMessage();
        var hello = ClientHelloBuilder.Frame(message, builder.RecordVersion, RandomRecordSizes(message.Length, random));

        // Application bytes right behind the hello: the backend must get them too, in order.
        var tail = System.Text.Encoding.ASCII.GetBytes($"probe {index} after the hello\n");
        return new FuzzInput(index, "probe", [.. hello, .. tail]) { ProbeTenant = tenant };
    }

    public static FuzzInput Mutate(int seed, int index, string @class)
    {
        var random = RandomFor(seed, index);
        var bytes = @class switch
        {
            "byte_flip" => ByteFlip(random),
            "length_field" => LengthField(random),
            "record_length" => RecordLength(random),
            "header_field" => HeaderField(random),
            "record_split" => Frame(BaseMessage(random), random),
            "empty_record" => EmptyRecord(random),
            "truncation" => Truncation(random),
            "duplicate_extension" => DuplicateExtension(random),
            "garbage" => Garbage(random),
            "record_claims_64k" => RecordClaims64K(),
            "handshake_claims_80k" => HandshakeClaims80K(),
            "random_100k" => Random100K(random),
            _ => throw new ArgumentOutOfRangeException(nameof(@class), @class, null),
        };
        return new FuzzInput(index, @class, bytes);
    }

    private static byte[] ByteFlip(Random random)
    {
        var message = BaseMessage(random);
        for (var k = random.Next(1, 9); k > 0; k--)
        {
            // Half of the flips land in the first 120 bytes, where the lengths and the SNI live.
            var at = random.Next(2) == 0 ? random.Next(Math.Min(120, message.Length)) : random.Next(message.Length);
            message[at] = random.Next(3) == 0 ? (byte)(message[at] ^ (1 << random.Next(8))) : (byte)random.Next(256);
        }

        return Frame(message, random);
    }

    private static byte[] LengthField(Random random)
    {
        var message = BaseMessage(random);
        var fields = LengthFields(message);
        var (offset, size) = fields[random.Next(fields.Count)];
        var max = size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFF;
        var current = size switch
        {
            1 => message[offset],
            2 => BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset)),
            _ => (message[offset] << 16) | (message[offset + 1] << 8) | message[offset + 2],
        };
        var value = random.Next(7) switch
        {
            0 => 0,
            1 => current + 1,
            2 => Math.Max(0, current - 1),
            3 => max,
            4 => current * 2,
            5 => current + random.Next(1, 64),
            _ => random.Next(max + 1),
        };
        value = Math.Min(value, max);
        for (var i = size - 1; i >= 0; i--)
        {
            message[offset + i] = (byte)value;
            value >>= 8;
        }

        return Frame(message, random);
    }

    private static byte[] RecordLength(Random random)
    {
        var wire = Frame(BaseMessage(random), random);
        var headers = RecordHeaders(wire);
        var at = headers[random.Next(headers.Count)];
        var current = BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(at + 3));
        int value = random.Next(6) switch
        {
            0 => 0,
            1 => current + 1,
            2 => Math.Max(0, current - 1),
            3 => 0x4001 + random.Next(0x200), // just over TLS's 2^14 plaintext limit
            4 => 0xFFFF,
            _ => random.Next(0x10000),
        };
        BinaryPrimitives.WriteUInt16BigEndian(wire.AsSpan(at + 3), (ushort)Math.Min(value, 0xFFFF));
        return wire;
    }

    /// <summary>Content type, record version and handshake type: the bytes that say "this is TLS".</summary>
    private static byte[] HeaderField(Random random)
    {
        var wire = Frame(BaseMessage(random), random);
        var headers = RecordHeaders(wire);
        var at = headers[random.Next(headers.Count)];
        switch (random.Next(4))
        {
            case 0:
                wire[at] = (byte)(random.Next(2) == 0 ? 0x17 : random.Next(256)); // application data, or anything
                break;
            case 1:
                wire[at + 1] = (byte)random.Next(256);
                break;
            case 2:
                wire[at + 2] = (byte)random.Next(256);
                break;
            default:
                wire[5] = (byte)random.Next(256); // handshake type
                break;
        }

        return wire;
    }

    private static byte[] EmptyRecord(Random random)
    {
        var wire = Frame(BaseMessage(random), random);
        var headers = RecordHeaders(wire);
        var at = random.Next(2) == 0 ? headers[random.Next(headers.Count)] : wire.Length;
        byte[] empty = [0x16, 0x03, 0x01, 0x00, 0x00];
        return [.. wire[..at], .. empty, .. wire[at..]];
    }

    private static byte[] Truncation(Random random)
    {
        var wire = Frame(BaseMessage(random), random);
        return wire[..random.Next(wire.Length)];
    }

    private static byte[] DuplicateExtension(Random random)
    {
        var (name, _) = ProbeNames[random.Next(ProbeNames.Length)];
        var builder = Builder(name, random);
        switch (random.Next(4))
        {
            case 0: // the same server_name twice
                builder.ExtraExtensions.Add((0, ClientHelloBuilder.ServerNameExtension(System.Text.Encoding.ASCII.GetBytes(name))));
                break;
            case 1: // a second server_name naming another tenant
                var other = ProbeNames[random.Next(ProbeNames.Length)].Name;
                builder.ExtraExtensions.Add((0, ClientHelloBuilder.ServerNameExtension(System.Text.Encoding.ASCII.GetBytes(other))));
                break;
            case 2: // one server_name extension listing two host names
                builder.RawServerNameExtension = ClientHelloBuilder.ServerNameExtension(
                    System.Text.Encoding.ASCII.GetBytes(name), System.Text.Encoding.ASCII.GetBytes(ProbeNames[random.Next(ProbeNames.Length)].Name));
                break;
            default: // supported_versions and supported_groups again
                builder.ExtraExtensions.Add((43, [0x02, 0x03, 0x04]));
                builder.ExtraExtensions.Add((10, [0x00, 0x02, 0x00, 0x1d]));
                break;
        }

        var message = builder.BuildMessage();
        return ClientHelloBuilder.Frame(message, builder.RecordVersion, RandomRecordSizes(message.Length, random));
    }

    private static byte[] Garbage(Random random)
    {
        var bytes = new byte[random.Next(1, 2000)];
        random.NextBytes(bytes);
        if (bytes.Length >= 6 && random.Next(2) == 0)
        {
            // A plausible record and handshake header, so the deeper levels see garbage too.
            bytes[0] = 0x16;
            bytes[1] = 0x03;
            bytes[2] = (byte)random.Next(0, 5);
            bytes[5] = 0x01;
        }

        return bytes;
    }

    /// <summary>A record header claiming 65 535 bytes (the most 16 bits say), then more than 64 KiB behind it.</summary>
    private static byte[] RecordClaims64K()
    {
        var message = new ClientHelloBuilder { CipherSuiteCount = 20_000, MessageSize = 70 * 1024 }.BuildMessage();
        byte[] header = [0x16, 0x03, 0x01, 0xFF, 0xFF];
        return [.. header, .. message];
    }

    /// <summary>A handshake header claiming 80 KiB, in 16 KiB records, all of it sent.</summary>
    private static byte[] HandshakeClaims80K() =>
        new ClientHelloBuilder { CipherSuiteCount = 20_000, MessageSize = 80 * 1024 }.Build();

    private static byte[] Random100K(Random random)
    {
        var bytes = new byte[100 * 1024];
        random.NextBytes(bytes);
        bytes[0] = (byte)'G'; // not a handshake record: decided on the first byte
        return bytes;
    }

    private static ClientHelloBuilder Builder(string name, Random random)
    {
        var builder = new ClientHelloBuilder
        {
            SessionIdLength = random.Next(2) == 0 ? 32 : 0,
            CipherSuiteCount = random.Next(1, 40),
            KeyShareLength = random.Next(3) == 0 ? 1216 : 32, // sometimes a post-quantum-sized key share
        };
        builder.ServerNames.Clear();
        builder.ServerNames.Add(name);
        if (random.Next(4) == 0)
        {
            builder.MessageSize = random.Next(2000, 20_000);
        }

        return builder;
    }

    private static byte[] BaseMessage(Random random)
    {
        if (random.Next(3) == 0)
        {
            var real = RealMessages.Value;
            return real[random.Next(real.Length)].ToArray();
        }

        return Builder(ProbeNames[random.Next(ProbeNames.Length)].Name, random).BuildMessage();
    }

    private static byte[] Frame(byte[] message, Random random) =>
        ClientHelloBuilder.Frame(message, (ushort)(random.Next(2) == 0 ? 0x0301 : 0x0303), RandomRecordSizes(message.Length, random));

    /// <summary>One record, 16 KiB records, or a random cut into 2–40 records (some 1 byte long).</summary>
    private static int[] RandomRecordSizes(int length, Random random)
    {
        if (random.Next(3) == 0 || length < 2)
        {
            return new ClientHelloBuilder().PayloadSizes(length);
        }

        var cuts = new SortedSet<int>();
        for (var k = random.Next(1, Math.Min(40, length)); k > 0; k--)
        {
            cuts.Add(random.Next(2) == 0 ? random.Next(1, Math.Min(length, 60)) : random.Next(1, length));
        }

        var sizes = new List<int>();
        var previous = 0;
        foreach (var cut in cuts.Append(length))
        {
            if (cut - previous > ClientHelloBuilder.MaxRecordPayload)
            {
                return new ClientHelloBuilder().PayloadSizes(length);
            }

            sizes.Add(cut - previous);
            previous = cut;
        }

        return [.. sizes];
    }

    /// <summary>Offsets and sizes of every length field in a ClientHello handshake message.</summary>
    private static List<(int Offset, int Size)> LengthFields(byte[] m)
    {
        var fields = new List<(int, int)> { (1, 3) };
        var p = 4 + 2 + 32;
        fields.Add((p, 1));
        p += 1 + m[p];
        fields.Add((p, 2));
        p += 2 + BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p));
        fields.Add((p, 1));
        p += 1 + m[p];
        fields.Add((p, 2));
        p += 2;
        while (p + 4 <= m.Length)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p));
            var length = BinaryPrimitives.ReadUInt16BigEndian(m.AsSpan(p + 2));
            fields.Add((p + 2, 2));
            if (type == 0 && length >= 5)
            {
                fields.Add((p + 4, 2));     // server_name_list length
                fields.Add((p + 7, 2));     // first host_name length
            }

            p += 4 + length;
        }

        return fields;
    }

    private static List<int> RecordHeaders(byte[] wire)
    {
        var headers = new List<int>();
        for (var p = 0; p + 5 <= wire.Length; p += 5 + BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(p + 3)))
        {
            headers.Add(p);
        }

        return headers;
    }

    private static byte[] Unframe(byte[] wire)
    {
        var message = new List<byte>();
        for (var p = 0; p + 5 <= wire.Length;)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(p + 3));
            message.AddRange(wire.AsSpan(p + 5, length).ToArray());
            p += 5 + length;
        }

        return [.. message];
    }
}
