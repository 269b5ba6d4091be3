using System.Net;
using System.Net.Sockets;
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

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbinding.Cancel();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _unbinding.Cancel();
        _socket.Dispose();
        _contexts.Dispose();
        _unbinding.Dispose();
        return ValueTask.CompletedTask;
    }
}
