using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Net;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Core.Transport.Sockets;

/// <summary>
/// A bound listening socket and its accept loop. The loop only accepts and hands the socket on;
/// everything else (admission, SNI peek, connect) runs on the thread pool, so a slow or stuck
/// session can never hold up accepting the next connection.
/// </summary>
internal sealed class Listener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Action<Socket, Listener> _onAccepted;
    private readonly Action _onOutOfDescriptors;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _stopping = new();
    private readonly AcceptFailures _acceptFailures;
    private Task _acceptLoop = Task.CompletedTask;
    private IAsyncDisposable? _external;
    private bool _started;

    private Listener(ListenerConfig config, Socket socket, Action<Socket, Listener> onAccepted, Action onOutOfDescriptors, ILogger logger, TimeProvider timeProvider)
    {
        Config = config;
        _socket = socket;
        _onAccepted = onAccepted;
        _onOutOfDescriptors = onOutOfDescriptors;
        _logger = logger;
        _timeProvider = timeProvider;
        _acceptFailures = new AcceptFailures(timeProvider);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public ListenerConfig Config { get; }

    public string Name => Config.Name;

    /// <summary>The bound address (the real port when the config said port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The listening socket, for a binary upgrade to hand over (the successor gets a duplicate).</summary>
    public Socket Socket => _socket;

    /// <summary>True if the socket came from the process this one replaced.</summary>
    public bool Adopted { get; private init; }

    /// <summary>Binds and listens; throws <see cref="SocketException"/> when the address cannot be bound.</summary>
    /// <param name="onOutOfDescriptors">Called when accept fails with EMFILE/ENFILE (the engine releases its spare descriptors).</param>
    public static Listener Bind(ListenerConfig config, int backlog, Action<Socket, Listener> onAccepted, Action onOutOfDescriptors, ILogger logger, TimeProvider timeProvider)
    {
        // "[::ffff:127.0.0.1]:80" names an IPv4 address; an IPv6 socket cannot bind it (EINVAL), so
        // bind the IPv4 address it stands for, as a backend address written that way is connected.
        var bind = config.Bind.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(config.Bind.Address.MapToIPv4(), config.Bind.Port) : config.Bind;
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any))
            {
                // "[::]:port" serves IPv4 too, as IPv4-mapped addresses (SPEC: dual stack).
                socket.DualMode = true;
            }

            socket.NoDelay = true; // inherited by accepted sockets on Linux
            socket.Bind(bind);
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new Listener(config, socket, onAccepted, onOutOfDescriptors, logger, timeProvider);
    }

    /// <summary>
    /// Takes over a listening socket handed over by the previous process: the same kernel socket, so its
    /// accept queue was never closed. <c>listen</c> again only applies this config's backlog.
    /// </summary>
    public static Listener Adopt(ListenerConfig config, Socket socket, int backlog, Action<Socket, Listener> onAccepted, Action onOutOfDescriptors, ILogger logger, TimeProvider timeProvider)
    {
        socket.Listen(backlog);
        return new Listener(config, socket, onAccepted, onOutOfDescriptors, logger, timeProvider) { Adopted = true };
    }

    /// <summary>Starts accepting on .NET's sockets, or, with <paramref name="acceptWith"/>, through another transport's loops on this same socket (the epoll transport).</summary>
    public void Start(Func<Listener, IAsyncDisposable>? acceptWith = null)
    {
        if (Adopted)
        {
            ListenerLog.ListeningAdopted(_logger, Name, LocalEndPoint);
        }
        else
        {
            ListenerLog.Listening(_logger, Name, LocalEndPoint);
        }

        _started = true;
        if (acceptWith is null)
        {
            _acceptLoop = AcceptLoopAsync();
        }
        else
        {
            _external = acceptWith(this);
        }
    }

    /// <summary>An accept by another transport failed: the same pause, throttled log and descriptor release as this loop's own.</summary>
    public void ReportAcceptFailure(string error, bool outOfDescriptors)
    {
        // The spares go first, before anything else can run into the limit: at zero free descriptors the
        // runtime aborts ("Out of memory.") when it has to start a thread (seen when the log line below
        // came first). The cost: another loop's accept on a freed descriptor may succeed before this
        // episode is marked, and then its recovery line comes with the next successful accept.
        if (outOfDescriptors)
        {
            _onOutOfDescriptors();
        }

        lock (_acceptFailures)
        {
            if (_acceptFailures.Failed() is > 0 and var count)
            {
                ListenerLog.AcceptFailed(_logger, Name, error, count, AcceptFailures.Pause.TotalMilliseconds);
            }
        }
    }

    /// <summary>Another transport accepted a connection: ends a failure episode, if one was logged.</summary>
    public void ReportAccepted()
    {
        if (!_acceptFailures.Failing)
        {
            return;
        }

        lock (_acceptFailures)
        {
            if (_acceptFailures.Failing)
            {
                ListenerLog.AcceptRecovered(_logger, Name, _acceptFailures.Recovered());
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // the client gave up before we accepted: nothing to do
            }
            catch (SocketException ex)
            {
                // EMFILE/ENFILE at the open-files limit (the descriptor budget keeps us below it unless
                // the limit is lowered under a running process) and the like: pause, never spin.
                if (ex.SocketErrorCode == SocketError.TooManyOpenSockets)
                {
                    _onOutOfDescriptors();
                }

                if (_acceptFailures.Failed() is > 0 and var count)
                {
                    ListenerLog.AcceptFailed(_logger, Name, ex.SocketErrorCode.ToString(), count, AcceptFailures.Pause.TotalMilliseconds);
                }

                try
                {
                    await Task.Delay(AcceptFailures.Pause, _timeProvider, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            if (_acceptFailures.Failing)
            {
                ListenerLog.AcceptRecovered(_logger, Name, _acceptFailures.Recovered());
            }

            accepted.NoDelay = true;
            _onAccepted(accepted, this);
        }
    }

    /// <summary>
    /// Stops accepting at once; open sessions are not touched. The socket closes, so new connects are
    /// refused, unless a successor holds it too (a binary upgrade), which then serves its queue.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        if (_external is { } external)
        {
            await external.DisposeAsync().ConfigureAwait(false); // off the loops before the socket closes
        }

        SharedSocket.Close(_socket);
        await _acceptLoop.ConfigureAwait(false);
        _stopping.Dispose();
        if (_started)
        {
            // A listener closed before it started (a sibling's bind failed) never said it was accepting.
            ListenerLog.ListenerStopped(_logger, Name);
        }
    }
}
