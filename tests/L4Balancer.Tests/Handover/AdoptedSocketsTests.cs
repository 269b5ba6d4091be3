using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Handover;

namespace L4Balancer.Tests.Handover;

/// <summary>Which handed-over socket a listener of the new config takes.</summary>
public class AdoptedSocketsTests
{
    private static (HandoverSocket Meta, int Fd, Socket Original) Listening(string kind, string name, string bind)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(1);

        // A duplicate descriptor, as the receiving side of SCM_RIGHTS would hold.
        var fd = Dup((int)socket.SafeHandle.DangerousGetHandle());
        return (new HandoverSocket(kind, name, bind, socket.LocalEndPoint!.ToString()!), fd, socket);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup")]
    private static extern int Dup(int fd);

    [Fact]
    public void Same_name_and_configured_address_wins_so_port_zero_keeps_its_port()
    {
        var a = Listening(HandoverSocket.ListenerKind, "a", "127.0.0.1:0");
        var b = Listening(HandoverSocket.ListenerKind, "b", "127.0.0.1:0");
        using var adopted = AdoptedSockets.FromDescriptors([a.Meta, b.Meta], [a.Fd, b.Fd]);

        using var taken = adopted.TakeListener("b", new IPEndPoint(IPAddress.Loopback, 0));
        Assert.Equal(b.Original.LocalEndPoint, taken!.LocalEndPoint);
        Assert.Null(adopted.TakeListener("c", new IPEndPoint(IPAddress.Loopback, 0))); // a new listener on port 0 binds anew
        Assert.Equal(1, adopted.Count);
        a.Original.Dispose();
        b.Original.Dispose();
    }

    [Fact]
    public void A_renamed_listener_on_the_same_address_takes_that_socket_and_kinds_never_mix()
    {
        var admin = Listening(HandoverSocket.AdminKind, "admin", "127.0.0.1:0");
        var listener = Listening(HandoverSocket.ListenerKind, "old", "127.0.0.1:0");
        var adopted = AdoptedSockets.FromDescriptors([admin.Meta, listener.Meta], [admin.Fd, listener.Fd]);
        var listenerEndPoint = (IPEndPoint)listener.Original.LocalEndPoint!;
        var adminEndPoint = (IPEndPoint)admin.Original.LocalEndPoint!;

        Assert.Null(adopted.TakeListener("new", adminEndPoint)); // the admin socket is not a listener's
        using var renamed = adopted.TakeListener("new", listenerEndPoint);
        Assert.Equal(listenerEndPoint, renamed!.LocalEndPoint);
        using var adminSocket = adopted.TakeAdmin(adminEndPoint);
        Assert.Equal(adminEndPoint, adminSocket!.LocalEndPoint);
        Assert.Equal(0, adopted.Count);
        adopted.Dispose();
        admin.Original.Dispose();
        listener.Original.Dispose();
    }

    [Fact]
    public async Task Unclaimed_sockets_are_closed_but_the_kernel_socket_lives_on_in_the_other_holder()
    {
        var spare = Listening(HandoverSocket.ListenerKind, "gone", "127.0.0.1:0");
        var adopted = AdoptedSockets.FromDescriptors([spare.Meta], [spare.Fd]);
        adopted.Dispose();
        Assert.Equal(0, adopted.Count);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(spare.Original.LocalEndPoint!, deadline.Token);
        using var accepted = await spare.Original.AcceptAsync(deadline.Token);
        Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
        spare.Original.Dispose();
    }

    [Fact]
    public void A_count_mismatch_is_refused_and_closes_what_came()
    {
        var one = Listening(HandoverSocket.ListenerKind, "a", "127.0.0.1:0");
        Assert.Throws<InvalidDataException>(() => AdoptedSockets.FromDescriptors([], [one.Fd]));
        one.Original.Dispose();
    }
}
