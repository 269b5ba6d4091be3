using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Admin;

/// <summary>
/// The admin endpoint's listening socket (see <see cref="AdminConnectionListenerFactory"/>). Kestrel
/// calls <see cref="AcceptAsync"/> in a loop and stops at null; an exception would end its accept loop
/// for good, so every accept error is handled here: a client that gave up is skipped, anything else
/// (EMFILE at the open-files limit) pauses the loop and is logged at a bounded rate, and accepting
/// resumes by itself once descriptors are free again.
/// </summary>
internal sealed class AdminConnectionListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly SocketConnectionContextFactory _contexts;
    private readonly Action _onOutOfDescriptors;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly AcceptFailures _failures;
    private readonly CancellationTokenSource _unbinding = new();
    private bool _unbound;

    public AdminConnectionListener(Socket socket, SocketConnectionContextFactory contexts, Action onOutOfDescriptors, ILogger logger, TimeProvider timeProvider)
    {
        _socket = socket;
        _contexts = contexts;
        _onOutOfDescriptors = onOutOfDescriptors;
        _logger = logger;
        _timeProvider = timeProvider;
        _failures = new AcceptFailures(timeProvider);
        EndPoint = socket.LocalEndPoint!;
    }

    /// <summary>The bound address (the real port when the config said 0): Kestrel reports it as the server's address.</summary>
    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbinding.Token);
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException
                || ex is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                return null; // unbound
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // the client gave up before we accepted
            }
            catch (SocketException ex)
            {
                if (ex.SocketErrorCode == SocketError.TooManyOpenSockets)
                {
                    _onOutOfDescriptors();
                }

                if (_failures.Failed() is > 0 and var count)
                {
                    AdminLog.AcceptFailed(_logger, ex.SocketErrorCode, count, AcceptFailures.Pause.TotalMilliseconds);
                }

                try
                {
                    await Task.Delay(AcceptFailures.Pause, _timeProvider, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }

                continue;
            }

            if (_failures.Failing)
            {
                AdminLog.AcceptRecovered(_logger, _failures.Recovered());
            }

            if (accepted.LocalEndPoint is IPEndPoint)
            {
                accepted.NoDelay = true; // as Kestrel's listener (SocketTransportOptions.NoDelay)
            }

            return _contexts.Create(accepted);
        }
    }

    /// <summary>The listening socket, for a binary upgrade to hand over.</summary>
    public Socket Socket => _socket;

    /// <summary>
    /// Stops accepting; Kestrel's accept loop sees null and ends. The kernel socket stays open while a
    /// successor holds it (see <see cref="SharedSocket"/>). Safe to call more than once.
    /// </summary>
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        lock (_unbinding)
        {
            if (!_unbound)
            {
                _unbound = true;
                _unbinding.Cancel();
                SharedSocket.Close(_socket);
            }
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        _contexts.Dispose();
    }
}
