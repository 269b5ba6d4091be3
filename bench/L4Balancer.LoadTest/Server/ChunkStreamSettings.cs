namespace L4Balancer.LoadTest.Server;

/// <summary>
/// What a <see cref="ServerKind.Stream"/> backend sends per request: a <see cref="ChunkBytes"/>-byte
/// chunk every <see cref="Interval"/> for <see cref="Duration"/>, i.e. <see cref="Count"/> chunks
/// (the first at once, the last at (Count − 1) × Interval).
/// </summary>
internal sealed record ChunkStreamSettings(int ChunkBytes, TimeSpan Interval, TimeSpan Duration)
{
    public int Count => Math.Max(1, (int)(Duration / Interval));
}
