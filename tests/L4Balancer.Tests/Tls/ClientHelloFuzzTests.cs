using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using L4Balancer.Core.Tls;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.Tests.Tls;

/// <summary>
/// Hostile input. Besides "no exception, bounded work", two properties tie the answers together:
/// a verdict, once reached on a prefix, never changes as more bytes arrive (so deciding early is
/// safe), and segment boundaries never change an answer (so the in-place and copying paths agree).
/// </summary>
public class ClientHelloFuzzTests
{
    private static readonly byte[] MutationValues = [0x00, 0x01, 0x7F, 0x80, 0xFF];

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20261124);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 700)];
            random.NextBytes(bytes);

            // Most random inputs die on the first byte; give a share a plausible record header so
            // the deeper levels see garbage too.
            if (bytes.Length >= 6 && i % 2 == 0)
            {
                bytes[0] = 0x16;
                bytes[1] = 0x03;
                bytes[2] = (byte)random.Next(0, 5);
                bytes[5] = 0x01;
            }

            ClientHelloAssert.ReadBounded(bytes);
            ClientHelloAssert.ReadBounded(Sequences.RandomSplit(bytes, random, 6));
        }
    }

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void Every_truncation_of_a_real_hello_needs_more_data(string name)
    {
        var bytes = RealHellos.Get(name).Bytes;
        for (var length = 0; length < bytes.Length; length++)
            Assert.Equal(ClientHelloResult.NeedMoreData, ClientHelloAssert.ReadBounded(new ReadOnlySequence<byte>(bytes, 0, length)));
    }

    [Theory]
    [MemberData(nameof(RealHellos.Names), MemberType = typeof(RealHellos))]
    public void Every_single_byte_mutation_of_a_real_hello_gets_an_answer(string name)
    {
        var original = RealHellos.Get(name).Bytes;
        var bytes = original.ToArray();
        var big = bytes.Length > 4096;
        for (var position = 0; position < bytes.Length; position++)
        {
            foreach (var value in MutationValues)
            {
                bytes[position] = value;
                var whole = ClientHelloAssert.ReadBounded(bytes);

                // Prefix and segmentation checks are quadratic; on the 20 KB hello keep to the
                // structure at its start, where the lengths live.
                if (!big || position < 600)
                {
                    Assert.Equal(whole, ClientHelloAssert.ReadBounded(Sequences.Split(bytes, [position, position + 1, bytes.Length / 2])));
                    AssertVerdictIsStable(bytes, whole, step: big ? 97 : 1);
                }
            }

            bytes[position] = original[position];
        }
    }

    [Fact]
    public void Random_multi_byte_mutations_get_stable_answers()
    {
        var random = new Random(4242);
        var hellos = RealHellos.All.Values.Select(h => h.Bytes).Where(b => b.Length < 4096).ToArray();
        for (var i = 0; i < 3000; i++)
        {
            var bytes = hellos[random.Next(hellos.Length)].ToArray();
            for (var k = random.Next(1, 9); k > 0; k--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);

            // Sometimes drop or duplicate a byte so every later length is off by one.
            if (i % 4 == 0)
            {
                var at = random.Next(bytes.Length);
                bytes = i % 8 == 0 ? [.. bytes[..at], .. bytes[(at + 1)..]] : [.. bytes[..at], bytes[at], .. bytes[at..]];
            }

            var whole = ClientHelloAssert.ReadBounded(bytes);
            Assert.Equal(whole, ClientHelloAssert.ReadBounded(Sequences.RandomSplit(bytes, random, 8)));
            AssertVerdictIsStable(bytes, whole, step: 1 + random.Next(7));
        }
    }

    [Fact]
    public void Mutated_multi_record_hellos_read_the_same_resumed_or_fresh()
    {
        var random = new Random(77);
        for (var i = 0; i < 300; i++)
        {
            var builder = new ClientHelloBuilder { Records = random.Next(1, 6), MessageSize = random.Next(300, 3000) };
            var bytes = builder.Build();
            for (var k = random.Next(0, 4); k > 0; k--)
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);

            var progress = default(ClientHelloProgress);
            var length = 0;
            while (true)
            {
                var prefix = new ReadOnlySequence<byte>(bytes, 0, length);
                var resumed = ClientHelloReading.TryRead(prefix, ref progress, out var resumedName);
                var fresh = ClientHelloReading.TryRead(prefix, out var freshName);
                Assert.Equal(fresh, resumed);
                Assert.Equal(freshName, resumedName);
                if (resumed != ClientHelloResult.NeedMoreData || length == bytes.Length)
                    break;
                length = Math.Min(bytes.Length, length + random.Next(1, 200));
            }
        }
    }

    [Property(MaxTest = 2000)]
    public bool Arbitrary_bytes_get_a_defined_answer(byte[] bytes) =>
        Enum.IsDefined(ClientHelloAssert.ReadBounded(bytes));

    [Property(MaxTest = 500)]
    public Property Cutting_a_hello_anywhere_changes_nothing(NonEmptyArray<int> cuts, PositiveInt records)
    {
        var bytes = new ClientHelloBuilder { Records = 1 + records.Get % 5, MessageSize = 900 }.Build();
        var sequence = Sequences.Split(bytes, cuts.Get.Select(c => (int)((uint)c % (uint)(bytes.Length + 1))));
        return (ClientHelloReading.TryRead(sequence, out var name) == ClientHelloResult.Sni && name == "llm.acme.example").ToProperty();
    }

    /// <summary>Every prefix says NeedMoreData or already says what the whole input says.</summary>
    private static void AssertVerdictIsStable(byte[] bytes, ClientHelloResult whole, int step)
    {
        for (var length = 0; length < bytes.Length; length += step)
        {
            var partial = ClientHelloReading.TryRead(new ReadOnlySequence<byte>(bytes, 0, length), out _);
            if (partial != ClientHelloResult.NeedMoreData)
                Assert.Equal(whole, partial);
        }
    }
}
