using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Handover;

namespace L4Balancer.Tests.Handover;

/// <summary>The upgrade channel on real Unix sockets: messages, SCM_RIGHTS descriptors, and the kernel socket they stand for.</summary>
public class HandoverChannelTests
{
    private static CancellationToken Deadline() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static Socket BoundListener()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(16);
        return socket;
    }

    [Fact]
    public async Task A_message_and_its_fields_arrive_whole()
    {
        using var pair = await UnixPair.ConnectAsync(Deadline());
        var sent = new HandoverMessage
        {
            Type = HandoverMessage.State,
            Pid = 42,
            Generation = 7,
            Drains = [new DrainedBackend("t1", "10.0.0.1:80")],
            Weights = [new WeightedBackend("t1", "10.0.0.2:80", 0, 3)],
            UpgradesOk = 3,
            UpgradesError = 1,
            Sockets = [],
        };
        await pair.Sender.SendAsync(sent, Deadline());
        await pair.Sender.SendAsync(new HandoverMessage { Type = HandoverMessage.Commit }, Deadline());

        var (received, fds) = await pair.Receiver.ReceiveAsync(Deadline());
        Assert.Empty(fds);
        Assert.Equal(HandoverMessage.State, received.Type);
        Assert.Equal(42, received.Pid);
        Assert.Equal(7, received.Generation);
        Assert.Equal(new DrainedBackend("t1", "10.0.0.1:80"), Assert.Single(received.Drains!));
        Assert.Equal(new WeightedBackend("t1", "10.0.0.2:80", 0, 3), Assert.Single(received.Weights!));
        Assert.Equal((3L, 1L), (received.UpgradesOk!.Value, received.UpgradesError!.Value));
        Assert.Equal(HandoverMessage.Commit, (await pair.Receiver.ReceiveAsync(Deadline())).Message.Type);
    }

    [Fact]
    public async Task A_passed_listener_is_the_same_kernel_socket_and_keeps_its_queue_when_the_sender_closes()
    {
        using var pair = await UnixPair.ConnectAsync(Deadline());
        var original = BoundListener();
        var endPoint = (IPEndPoint)original.LocalEndPoint!;

        // Queued before the handover, accepted after it by the receiver: no accept queue is ever closed.
        using var early = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await early.ConnectAsync(endPoint, Deadline());

        await pair.Sender.SendAsync(new HandoverMessage { Type = HandoverMessage.State }, [(int)original.SafeHandle.DangerousGetHandle()], Deadline());
        var (_, fds) = await pair.Receiver.ReceiveAsync(Deadline());
        var fd = Assert.Single(fds);
        Assert.True(HandoverNative.IsCloseOnExec(fd), "received descriptors must be close-on-exec (MSG_CMSG_CLOEXEC)");
        using var adopted = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        Assert.Equal(endPoint, adopted.LocalEndPoint);

        using (var first = await adopted.AcceptAsync(Deadline()))
        {
            Assert.Equal(early.LocalEndPoint, first.RemoteEndPoint);
        }

        // The sender stops with an accept pending: the shared socket must keep listening for the receiver.
        var pending = original.AcceptAsync(Deadline()).AsTask();
        SharedSocket.Close(original);
        await Assert.ThrowsAnyAsync<Exception>(() => pending);

        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await late.ConnectAsync(endPoint, Deadline());
        using var second = await adopted.AcceptAsync(Deadline());
        Assert.Equal(late.LocalEndPoint, second.RemoteEndPoint);
    }

    [Fact]
    public async Task More_descriptors_than_one_message_carries_follow_in_fds_messages()
    {
        using var pair = await UnixPair.ConnectAsync(Deadline());
        using var listener = BoundListener();
        const int count = HandoverNative.MaxDescriptorsPerMessage + 47;
        var fd = (int)listener.SafeHandle.DangerousGetHandle();

        // The kernel installs one new descriptor per entry, even for the same one repeated.
        var send = pair.Sender.SendAsync(new HandoverMessage { Type = HandoverMessage.State }, Enumerable.Repeat(fd, count).ToArray(), Deadline());
        var (state, first) = await pair.Receiver.ReceiveAsync(Deadline());
        var (more, rest) = await pair.Receiver.ReceiveAsync(Deadline());
        await send;
        Assert.Equal(HandoverMessage.State, state.Type);
        Assert.Equal(HandoverMessage.Fds, more.Type);
        Assert.Equal(HandoverNative.MaxDescriptorsPerMessage, first.Count);
        Assert.Equal(count - HandoverNative.MaxDescriptorsPerMessage, rest.Count);
        Assert.Equal(count, first.Concat(rest).Distinct().Count());
        HandoverChannel.CloseAll(first.Concat(rest));
    }

    [Fact]
    public async Task The_end_of_the_stream_and_a_hostile_length_are_errors_not_hangs()
    {
        using (var pair = await UnixPair.ConnectAsync(Deadline()))
        {
            pair.Sender.Dispose();
            await Assert.ThrowsAsync<EndOfStreamException>(() => pair.Receiver.ReceiveAsync(Deadline()));
        }

        var name = $"@l4b-test-{Guid.NewGuid():N}";
        using var rendezvous = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        rendezvous.Bind(HandoverChannel.EndPointFor(name));
        rendezvous.Listen(1);
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(HandoverChannel.EndPointFor(name), Deadline());
        using var channel = new HandoverChannel(await rendezvous.AcceptAsync(Deadline()));
        await raw.SendAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff }, SocketFlags.None, Deadline());
        await Assert.ThrowsAsync<InvalidDataException>(() => channel.ReceiveAsync(Deadline()));
    }

    /// <summary>
    /// The trap SharedSocket exists for, made deterministic: a close that finds the handle in use (a
    /// syscall in flight, simulated by holding a reference) makes .NET "unblock" it with
    /// connect(AF_UNSPEC), which stops the listen for every holder, unless FD_CLOEXEC is clear.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Closing_a_shared_listener_in_use_leaves_the_other_holder_listening_only_when_closed_as_shared(bool shared)
    {
        using var pair = await UnixPair.ConnectAsync(Deadline());
        var original = BoundListener();
        var endPoint = (IPEndPoint)original.LocalEndPoint!;
        await pair.Sender.SendAsync(new HandoverMessage { Type = HandoverMessage.State }, [(int)original.SafeHandle.DangerousGetHandle()], Deadline());
        using var adopted = new Socket(new SafeSocketHandle(Assert.Single((await pair.Receiver.ReceiveAsync(Deadline())).Descriptors), ownsHandle: true));

        var inUse = false;
        original.SafeHandle.DangerousAddRef(ref inUse);
        var closing = Task.Run(() =>
        {
            if (shared)
            {
                SharedSocket.Close(original);
            }
            else
            {
                original.Dispose();
            }
        });

        // Let the close find the handle in use and spin on it (no condition to await: it only spins).
        await Task.Delay(200);
        original.SafeHandle.DangerousRelease();
        await closing.WaitAsync(Deadline());

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (shared)
        {
            await client.ConnectAsync(endPoint, Deadline());
            using var accepted = await adopted.AcceptAsync(Deadline());
            Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
        }
        else
        {
            // The control: a plain Dispose kills the listen for the other holder too.
            var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(endPoint, Deadline()).AsTask());
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
    }

    [Fact]
    public async Task A_receive_ends_when_its_token_does()
    {
        using var pair = await UnixPair.ConnectAsync(Deadline());
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pair.Receiver.ReceiveAsync(soon.Token));
    }
}
