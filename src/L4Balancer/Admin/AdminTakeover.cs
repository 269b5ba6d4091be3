using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Handover;

namespace L4Balancer.Admin;

/// <summary>
/// The admin socket of a process that drains after SIGTERM, passed to a successor started meanwhile
/// (issue 12 item 4): the draining process keeps answering <c>/healthz</c> with 503 <c>stopping</c> until
/// a new process, finding the admin address in use, asks for the socket on a name derived from that
/// address. The same conversation as an upgrade (<see cref="HandoverChannel"/>), admin socket only.
/// </summary>
internal static class AdminTakeover
{
    /// <summary>How long either side waits for the other; the successor then reports the address in use as before.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>The abstract Unix socket name a draining process offers its admin socket on.</summary>
    public static string ChannelName(EndPoint listen) => $"@l4balancer-admin-{listen}";

    /// <summary>
    /// Asks a draining process for the admin socket bound to <paramref name="listen"/>; null if no
    /// process offers it (then the address is in use by something else).
    /// </summary>
    public static async Task<(Socket Socket, int From)?> TryTakeAsync(EndPoint listen, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        HandoverChannel channel;
        try
        {
            channel = await HandoverChannel.ConnectAsync(ChannelName(listen), deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return null; // nobody offers it
        }

        using (channel)
        {
            try
            {
                if (!IsSameUser(channel))
                {
                    return null;
                }

                await channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Hello, Pid = Environment.ProcessId }, deadline.Token).ConfigureAwait(false);
                var (state, descriptors) = await channel.ReceiveAsync(deadline.Token).ConfigureAwait(false);
                if (state.Type != HandoverMessage.State || state.Sockets is not [{ Kind: HandoverSocket.AdminKind }] || descriptors.Count != 1)
                {
                    HandoverChannel.CloseAll(descriptors);
                    return null;
                }

                var socket = new Socket(new SafeSocketHandle(descriptors[0], ownsHandle: true));
                await channel.SendAsync(new HandoverMessage { Type = HandoverMessage.Ready, Pid = Environment.ProcessId }, deadline.Token).ConfigureAwait(false);
                return (socket, state.Pid ?? 0);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidDataException or System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Offers <paramref name="admin"/> on the name derived from its address until a successor takes it
    /// (then <paramref name="onTaken"/> runs with its pid) or <paramref name="cancellationToken"/> ends the offer.
    /// </summary>
    public static async Task OfferAsync(Socket admin, Func<int, Task> onTaken, CancellationToken cancellationToken)
    {
        using var rendezvous = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            rendezvous.Bind(HandoverChannel.EndPointFor(ChannelName(admin.LocalEndPoint!)));
        }
        catch (SocketException)
        {
            return; // another process offers this address already (cannot be ours)
        }

        rendezvous.Listen(4);
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await rendezvous.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            using var channel = new HandoverChannel(accepted);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Timeout);
            try
            {
                if (!IsSameUser(channel))
                {
                    continue;
                }

                var pid = channel.PeerPid();
                var (hello, stray) = await channel.ReceiveAsync(deadline.Token).ConfigureAwait(false);
                HandoverChannel.CloseAll(stray);
                if (hello.Type != HandoverMessage.Hello)
                {
                    continue;
                }

                var offer = new HandoverMessage
                {
                    Type = HandoverMessage.State,
                    Pid = Environment.ProcessId,
                    Sockets = [new HandoverSocket(HandoverSocket.AdminKind, "admin", admin.LocalEndPoint!.ToString()!, admin.LocalEndPoint!.ToString()!)],
                };
                await channel.SendAsync(offer, [(int)admin.SafeHandle.DangerousGetHandle()], deadline.Token).ConfigureAwait(false);
                var (ready, more) = await channel.ReceiveAsync(deadline.Token).ConfigureAwait(false);
                HandoverChannel.CloseAll(more);
                if (ready.Type == HandoverMessage.Ready)
                {
                    await onTaken(pid).ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or InvalidDataException or System.Text.Json.JsonException)
            {
                // That one gave up; keep offering until the drain ends.
            }
        }
    }

    /// <summary>The abstract name is reachable by every local user: only the same user (or root) gets the socket.</summary>
    private static bool IsSameUser(HandoverChannel channel)
    {
        var peer = channel.PeerUid();
        return peer == 0 || peer == GetUid();
    }

    private static uint GetUid() => HandoverNative.UserId();
}
