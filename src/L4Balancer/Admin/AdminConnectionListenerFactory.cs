using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Handover;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Admin;

/// <summary>
/// Kestrel's transport for the admin endpoint: its own sockets, accepted by <see cref="AdminConnectionListener"/>,
/// which backs off when accept fails. Kestrel's <c>SocketConnectionListener.AcceptAsync</c> retries any
/// <c>SocketException</c> at once, so at the open-files limit (EMFILE) its thread spun at 99.9 % CPU
/// (issue 11). Everything after accept is Kestrel's own: the connection is built by the public
/// <see cref="SocketConnectionContextFactory"/>, as Kestrel's listener builds it.
/// </summary>
/// <param name="onOutOfDescriptors">Called when accept fails with EMFILE/ENFILE (the engine releases its spare descriptors).</param>
/// <param name="adopted">Sockets handed over by the process this one replaces: the admin socket is taken from there when its address matches.</param>
internal sealed class AdminConnectionListenerFactory(ILoggerFactory loggerFactory, TimeProvider timeProvider, Action onOutOfDescriptors, AdoptedSockets? adopted) : IConnectionListenerFactory
{
    // Kestrel's default listen backlog (SocketTransportOptions.Backlog).
    private const int Backlog = 512;

    /// <summary>The listener Kestrel bound last (there is one admin address), for a binary upgrade to hand over.</summary>
    public AdminConnectionListener? Current { get; private set; }

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        // Kestrel's own helper: dual mode for [::], the same bind it would have done. A socket handed
        // over by the previous process is the same kernel socket: its queue was never closed.
        var logger = loggerFactory.CreateLogger(AdminLog.Category);
        var socket = adopted?.TakeAdmin(endpoint);
        if (socket is null)
        {
            try
            {
                socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && OperatingSystem.IsLinux())
            {
                // A balancer draining after SIGTERM may hold the address and hand it over (issue 12).
                if (await AdminTakeover.TryTakeAsync(endpoint, cancellationToken).ConfigureAwait(false) is not { } taken)
                {
                    throw;
                }

                AdminLog.TookOverFromDraining(logger, taken.From);
                socket = taken.Socket;
            }
        }

        try
        {
            socket.Listen(Backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), loggerFactory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        var listener = new AdminConnectionListener(socket, contexts, onOutOfDescriptors, logger, timeProvider);
        Current = listener;
        return listener;
    }
}
