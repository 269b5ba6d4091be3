using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Transport.Sockets;

/// <summary>An accepted <see cref="Socket"/> as an <see cref="IClientConnection"/>.</summary>
internal sealed class SocketClientConnection : IClientConnection
{
    private readonly RelayOptions _options;
    private readonly TimeProvider _time;
    private SocketRelay? _relay;

    public SocketClientConnection(Socket socket, RelayOptions options, TimeProvider time)
    {
        Socket = socket;
        _options = options;
        _time = time;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
    }

    public Socket Socket { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public IPEndPoint? GetLocalEndPoint()
    {
        try
        {
            return Socket.LocalEndPoint as IPEndPoint;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null; // the client is gone: the flow's close reason is set, nothing is sent anyway
        }
    }

    public async ValueTask<int> WaitForBytesAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        try
        {
            await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return Socket.Available;
        }
        catch (SocketException ex)
        {
            throw new PeerFailedException(ex.SocketErrorCode.ToString(), ex);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> destination, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        try
        {
            return await Socket.ReceiveAsync(destination, SocketFlags.None, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new PeerFailedException(ex.SocketErrorCode.ToString(), ex);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    public void Abort(bool reset) => SocketClose.Close(Socket, reset);

    public IRelay StartRelay(IRelayOwner owner)
    {
        if (_relay is not null)
        {
            throw new InvalidOperationException("the relay of this connection has already started");
        }

        return _relay = new SocketRelay(this, owner, _options, _time);
    }

    public void Dispose() => Socket.Dispose();
}
