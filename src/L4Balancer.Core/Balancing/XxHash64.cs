using System.Buffers.Binary;
using System.Numerics;

namespace L4Balancer.Core.Balancing;

/// <summary>
/// XXH64 (Yann Collet's xxHash, 64-bit), written out because Maglev needs a hash that is the same in
/// every process on every machine (<see cref="string.GetHashCode()"/> is seeded per process) and Core
/// references no hashing package. It is the hash Envoy's Maglev uses, with the same seeds (0 for a
/// backend's offset, 1 for its skip), so the values can be checked against any XXH64 implementation;
/// the unit tests check it against System.IO.Hashing's. Inputs are tiny (an address, a host name), so
/// this favours plain code over vectorised stripes.
/// </summary>
internal static class XxHash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var length = (ulong)data.Length;
        ulong acc;
        if (data.Length >= 32)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
                data = data[32..];
            }
            while (data.Length >= 32);

            acc = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) +
                  BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            acc = Merge(acc, v1);
            acc = Merge(acc, v2);
            acc = Merge(acc, v3);
            acc = Merge(acc, v4);
        }
        else
        {
            acc = seed + Prime5;
        }

        acc += length;
        while (data.Length >= 8)
        {
            acc ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            acc = BitOperations.RotateLeft(acc, 27) * Prime1 + Prime4;
            data = data[8..];
        }

        if (data.Length >= 4)
        {
            acc ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime1;
            acc = BitOperations.RotateLeft(acc, 23) * Prime2 + Prime3;
            data = data[4..];
        }

        foreach (var b in data)
        {
            acc ^= b * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
        }

        acc ^= acc >> 33;
        acc *= Prime2;
        acc ^= acc >> 29;
        acc *= Prime3;
        acc ^= acc >> 32;
        return acc;
    }

    private static ulong Round(ulong acc, ulong lane) =>
        BitOperations.RotateLeft(acc + lane * Prime2, 31) * Prime1;

    private static ulong Merge(ulong acc, ulong value) =>
        (acc ^ Round(0, value)) * Prime1 + Prime4;
}
