using System.Net.Sockets;
using L4Balancer.Core.Handover;

namespace L4Balancer.Tests.Handover;

/// <summary>Two ends of a Unix stream connection on a fresh abstract name, as an upgrade's channel is made.</summary>
internal sealed class UnixPair : IDisposable
{
    private UnixPair(HandoverChannel sender, HandoverChannel receiver)
    {
        Sender = sender;
        Receiver = receiver;
    }

    public HandoverChannel Sender { get; }

    public HandoverChannel Receiver { get; }

    public static async Task<UnixPair> ConnectAsync(CancellationToken cancellationToken)
    {
        var name = $"@l4b-test-{Guid.NewGuid():N}";
        using var rendezvous = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        rendezvous.Bind(HandoverChannel.EndPointFor(name));
        rendezvous.Listen(1);
        var accept = rendezvous.AcceptAsync(cancellationToken).AsTask();
        var receiver = await HandoverChannel.ConnectAsync(name, cancellationToken);
        return new UnixPair(new HandoverChannel(await accept), receiver);
    }

    public void Dispose()
    {
        Sender.Dispose();
        Receiver.Dispose();
    }
}
