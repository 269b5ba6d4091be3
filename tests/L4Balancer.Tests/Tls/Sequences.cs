using System.Buffers;

namespace L4Balancer.Tests.Tls;

internal static class Sequences
{
    /// <summary>Cuts <paramref name="data"/> at the given offsets; repeated offsets give empty segments.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, IEnumerable<int> cuts)
    {
        var points = cuts.Where(c => c >= 0 && c <= data.Length).Order().ToList();
        points.Add(data.Length);

        // Each segment gets its own array so a reader that strays past a segment end would read
        // garbage rather than the neighbouring bytes.
        var start = 0;
        TestSegment? first = null;
        TestSegment? last = null;
        foreach (var end in points)
        {
            var memory = data.AsSpan(start, end - start).ToArray().AsMemory();
            last = last is null ? first = new TestSegment(memory, 0) : last.Append(memory);
            start = end;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    public static ReadOnlySequence<byte> RandomSplit(byte[] data, Random random, int maxCuts)
    {
        var count = random.Next(0, maxCuts + 1);
        var cuts = new int[count];
        for (var i = 0; i < count; i++)
            cuts[i] = random.Next(0, data.Length + 1);
        return Split(data, cuts);
    }
}
