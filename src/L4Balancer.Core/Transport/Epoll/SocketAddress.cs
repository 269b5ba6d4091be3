using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Transport.Epoll;

/// <summary><c>sockaddr_in</c> / <c>sockaddr_in6</c> to and from <see cref="IPEndPoint"/> (Linux layouts).</summary>
internal static class SocketAddress
{
    public const int MaxSize = 128; // sizeof(struct sockaddr_storage)
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    public static IPEndPoint? Read(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2)
        {
            return null;
        }

        var family = BitConverter.ToUInt16(address);
        var port = BinaryPrimitives.ReadUInt16BigEndian(address[2..]);
        return family switch
        {
            AfInet when address.Length >= 8 => new IPEndPoint(new IPAddress(address.Slice(4, 4)), port),
            AfInet6 when address.Length >= 28 => new IPEndPoint(new IPAddress(address.Slice(8, 16), BitConverter.ToUInt32(address[24..])), port),
            _ => null,
        };
    }

    /// <returns>The length written.</returns>
    public static int Write(IPEndPoint endPoint, Span<byte> destination)
    {
        destination[..MaxSize].Clear();
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            BitConverter.TryWriteBytes(destination, AfInet);
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
            endPoint.Address.TryWriteBytes(destination.Slice(4, 4), out _);
            return 16;
        }

        BitConverter.TryWriteBytes(destination, AfInet6);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endPoint.Port);
        endPoint.Address.TryWriteBytes(destination.Slice(8, 16), out _);
        BitConverter.TryWriteBytes(destination[24..], (uint)endPoint.Address.ScopeId);
        return 28;
    }
}
