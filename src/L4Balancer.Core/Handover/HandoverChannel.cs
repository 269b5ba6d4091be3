using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text.Json;

namespace L4Balancer.Core.Handover;

/// <summary>
/// The upgrade conversation over a connected Unix stream socket: length-prefixed JSON messages
/// (<see cref="HandoverMessage"/>), listening sockets passed beside them with <c>SCM_RIGHTS</c>. Every
/// read and write is non-blocking and waits through .NET's socket engine, so the caller's token bounds
/// the whole conversation.
/// </summary>
internal sealed class HandoverChannel : IDisposable
{
    /// <summary>No message is near this; a peer that sends more is not ours.</summary>
    public const int MaxMessageBytes = 1024 * 1024;

    private static readonly TimeSpan SendRetry = TimeSpan.FromMilliseconds(5);

    private readonly Socket _socket;
    private readonly List<int> _received = [];
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public HandoverChannel(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>Connects to <paramref name="name"/>, an abstract Unix socket name written "@name".</summary>
    public static async Task<HandoverChannel> ConnectAsync(string name, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(EndPointFor(name), cancellationToken).ConfigureAwait(false);
            return new HandoverChannel(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The address of an abstract Unix socket written "@name" (a leading NUL, as the kernel wants).</summary>
    public static UnixDomainSocketEndPoint EndPointFor(string name) =>
        new(name.StartsWith('@') ? "\0" + name[1..] : name);

    /// <summary>The process id of the peer (SO_PEERCRED, taken when it connected).</summary>
    public int PeerPid()
    {
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        _socket.GetRawSocketOption(1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, credentials);
        return BinaryPrimitives.ReadInt32LittleEndian(credentials);
    }

    /// <summary>The user id of the peer (SO_PEERCRED).</summary>
    public uint PeerUid()
    {
        Span<byte> credentials = stackalloc byte[12];
        _socket.GetRawSocketOption(1, 17, credentials);
        return BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]);
    }

    public Task SendAsync(HandoverMessage message, CancellationToken cancellationToken) =>
        SendAsync(message, [], cancellationToken);

    /// <summary>
    /// Sends <paramref name="message"/> with <paramref name="descriptors"/>: the first
    /// <see cref="HandoverNative.MaxDescriptorsPerMessage"/> ride with it, the rest follow in <c>fds</c>
    /// messages. The caller keeps the descriptors open until this returns.
    /// </summary>
    public async Task SendAsync(HandoverMessage message, IReadOnlyList<int> descriptors, CancellationToken cancellationToken)
    {
        var offset = 0;
        var next = message;
        do
        {
            var count = Math.Min(descriptors.Count - offset, HandoverNative.MaxDescriptorsPerMessage);
            await SendFrameAsync(Frame(next), descriptors.Skip(offset).Take(count).ToArray(), cancellationToken).ConfigureAwait(false);
            offset += count;
            next = new HandoverMessage { Type = HandoverMessage.Fds };
        }
        while (offset < descriptors.Count);
    }

    /// <summary>
    /// The next message, with every descriptor that arrived while reading it (taken by the caller, who
    /// must close what it does not keep). Throws <see cref="EndOfStreamException"/> if the peer closed.
    /// </summary>
    public async Task<(HandoverMessage Message, List<int> Descriptors)> ReceiveAsync(CancellationToken cancellationToken)
    {
        await FillAsync(4, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (length is <= 0 or > MaxMessageBytes)
        {
            throw new InvalidDataException($"handover message of {length} bytes");
        }

        _start += 4;
        await FillAsync(length, cancellationToken).ConfigureAwait(false);
        var message = JsonSerializer.Deserialize(_buffer.AsSpan(_start, length), HandoverJsonContext.Default.HandoverMessage)
            ?? throw new InvalidDataException("empty handover message");
        _start += length;
        var descriptors = new List<int>(_received);
        _received.Clear();
        return (message, descriptors);
    }

    /// <summary>Closes descriptors received but not adopted.</summary>
    public static void CloseAll(IEnumerable<int> descriptors)
    {
        foreach (var fd in descriptors)
        {
            new SafeSocketHandle(fd, ownsHandle: true).Dispose();
        }
    }

    private static byte[] Frame(HandoverMessage message)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, HandoverJsonContext.Default.HandoverMessage);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, json.Length);
        json.CopyTo(frame, 4);
        return frame;
    }

    private async Task SendFrameAsync(byte[] frame, int[] descriptors, CancellationToken cancellationToken)
    {
        var fd = (int)_socket.SafeHandle.DangerousGetHandle();
        var sent = 0;
        while (sent < frame.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = HandoverNative.TrySend(fd, frame.AsSpan(sent), sent == 0 ? descriptors : []);
            if (n < 0)
            {
                // The peer's buffer is full: frames are small and rare, a short pause beats a poll thread.
                await Task.Delay(SendRetry, cancellationToken).ConfigureAwait(false);
                continue;
            }

            sent += n;
        }
    }

    private async Task FillAsync(int needed, CancellationToken cancellationToken)
    {
        while (_end - _start < needed)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_buffer.Length < needed)
            {
                Array.Resize(ref _buffer, needed);
            }

            var n = HandoverNative.TryReceive((int)_socket.SafeHandle.DangerousGetHandle(), _buffer.AsSpan(_end), _received);
            if (n == 0)
            {
                throw new EndOfStreamException("the other process closed the handover channel");
            }

            if (n < 0)
            {
                // A zero-byte receive completes when data (or the end) is waiting, without taking any.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                continue;
            }

            _end += n;
        }
    }

    public void Dispose()
    {
        CloseAll(_received);
        _received.Clear();
        _socket.Dispose();
    }
}
