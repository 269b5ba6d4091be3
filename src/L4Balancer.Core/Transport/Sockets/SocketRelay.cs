using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Transport.Sockets;

/// <summary>
/// The sockets transport's relay: one <see cref="SocketPipe"/> per leg, each a receive loop into a
/// <see cref="System.IO.Pipelines.Pipe"/> and a send loop out of the other leg's pipe (Kestrel's
/// SocketConnection, twice). Every byte passes through user space.
/// </summary>
internal sealed class SocketRelay : IRelay
{
    private readonly SocketClientConnection _client;
    private readonly IRelayOwner _owner;
    private readonly RelayOptions _options;
    private readonly TimeProvider _time;
    private readonly SocketPipe _clientPipe;
    private readonly Task _clientReceive;
    private Socket? _backendSocket;
    private SocketPipe? _backendPipe;
    private Task? _run;
    private int _aborted;

    public SocketRelay(SocketClientConnection client, IRelayOwner owner, RelayOptions options, TimeProvider time)
    {
        _time = time;
        _client = client;
        _owner = owner;
        _options = options;
        _clientPipe = new SocketPipe(client.Socket, RelaySide.Client, owner, options);

        // From here what the client sends while the flow decides and connects is buffered (up to the
        // pause threshold) and replayed to the backend after the client's prelude.
        _clientReceive = _clientPipe.ReceiveAsync();
    }

    public long BytesFromClient => _clientPipe.BytesReceived;

    public long BytesFromBackend => Volatile.Read(ref _backendPipe)?.BytesReceived ?? 0;

    public Task Stopped => Volatile.Read(ref _run) ?? _clientReceive;

    private bool Aborted => Volatile.Read(ref _aborted) != 0;

    public async ValueTask<BackendConnect> ConnectAsync(IPEndPoint backend, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        Socket socket;
        try
        {
            socket = _options.BackendSocketFactory(backend.AddressFamily);
        }
        catch (SocketException ex)
        {
            // Out of descriptors (EMFILE/ENFILE) or buffers: the process's limit, not the backend's.
            return new BackendConnect(BackendConnectStatus.NoSocket, ex.SocketErrorCode.ToString(), ex.SocketErrorCode == SocketError.TooManyOpenSockets);
        }

        // Published with a full fence before the abort flag is read: either Abort sees the socket and
        // closes it, or this sees the flag and gives up; a connect never outlives an abort.
        Interlocked.Exchange(ref _backendSocket, socket);
        try
        {
            if (Aborted)
            {
                throw new OperationCanceledException();
            }

            socket.NoDelay = true;
            await socket.ConnectAsync(backend, deadline.Token).ConfigureAwait(false);
            return BackendConnect.Connected;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            CloseBackend(socket);
            return new BackendConnect(BackendConnectStatus.Failed, ex is SocketException se ? se.SocketErrorCode.ToString() : "timeout");
        }
    }

    public async ValueTask<string?> SendToBackendAsync(ReadOnlyMemory<byte> prelude, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        var socket = Volatile.Read(ref _backendSocket) ?? throw new InvalidOperationException("no backend leg is connected");
        try
        {
            // One send in practice: the header is far smaller than an MSS and the empty send buffer, so it
            // leaves at once as the spec asks; the loop only guards against a partial send.
            while (!prelude.IsEmpty)
            {
                var sent = await socket.SendAsync(prelude, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                prelude = prelude[sent..];
            }

            return null;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            CloseBackend(socket);
            return ex is SocketException se ? se.SocketErrorCode.ToString() : "timeout";
        }
    }

    public Task RunAsync(ReadOnlyMemory<byte> clientPrelude, IDisposable? preludeOwner, BandwidthThrottle? toBackend, BandwidthThrottle? toClient)
    {
        var socket = Volatile.Read(ref _backendSocket) ?? throw new InvalidOperationException("no backend leg is connected");
        var backendPipe = new SocketPipe(socket, RelaySide.Backend, _owner, _options);
        Interlocked.Exchange(ref _backendPipe, backendPipe);
        if (Aborted)
        {
            backendPipe.Abort(); // aborted before the pipe was visible to Abort
        }

        var run = Task.WhenAll(
            _clientReceive,
            backendPipe.ReceiveAsync(),
            backendPipe.SendAsync(_clientPipe.Input, toBackend, clientPrelude, preludeOwner),
            _clientPipe.SendAsync(backendPipe.Input, toClient));
        Volatile.Write(ref _run, run);
        return run;
    }

    public void Abort(bool reset)
    {
        Interlocked.Exchange(ref _aborted, 1);
        _client.Abort(reset);
        if (Volatile.Read(ref _backendSocket) is { } backend)
        {
            SocketClose.Close(backend, reset);
        }

        // After the sockets: a loop woken here finds its socket closed (abortively when a reset is
        // owed) and cannot pass a FIN on in its place. Receive loops waiting for a reader end too.
        _clientPipe.Abort();
        Volatile.Read(ref _backendPipe)?.Abort();
    }

    /// <summary>A failed backend leg: closed, so the next attempt starts clean.</summary>
    private void CloseBackend(Socket socket)
    {
        Interlocked.CompareExchange(ref _backendSocket, null, socket);
        socket.Dispose();
    }

    /// <summary>The backend socket; the client socket is its connection's to dispose.</summary>
    public void Dispose() => Volatile.Read(ref _backendSocket)?.Dispose();
}
