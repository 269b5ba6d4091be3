using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary>
/// <c>struct epoll_event { uint32_t events; epoll_data_t data; }</c> is packed on x86-64 (12 bytes, data at
/// offset 4) and naturally aligned elsewhere (16 bytes, data at offset 8), so it is read and written by
/// offset rather than declared as a struct.
/// </summary>
internal static class EpollEventLayout
{
    public static readonly int Size = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static unsafe void Write(byte* slot, EpollEvents events, ulong data)
    {
        Unsafe.WriteUnaligned(slot, (uint)events);
        Unsafe.WriteUnaligned(slot + DataOffset, data);
    }

    public static unsafe EpollEvents Events(byte* slot) => (EpollEvents)Unsafe.ReadUnaligned<uint>(slot);

    public static unsafe ulong Data(byte* slot) => Unsafe.ReadUnaligned<ulong>(slot + DataOffset);
}
