using System.Net;

namespace L4Balancer.Core.Transport;

/// <summary>
/// A client connection a listener accepted, as the connection flow sees it: its addresses, the first
/// bytes it sent (read before a backend is chosen, for the SNI), and the close. The bytes after those
/// are carried by the <see cref="IRelay"/> it starts. One implementation per transport; the flow
/// (<see cref="Flow.ConnectionFlow"/>) knows none of them.
/// </summary>
/// <remarks>
/// The first bytes are taken, not peeked (<c>MSG_PEEK</c> would read a trickled hello from its start
/// again at every step): the flow keeps them and hands them to <see cref="IRelay.RunAsync"/> as the
/// client's prelude, so the backend still gets every byte in order, as Envoy's
/// <c>SplicePump::prepare(initial_u2d, …)</c> replays what its filters read before the kernel relay.
/// </remarks>
internal interface IClientConnection : IDisposable
{
    /// <summary>The client's address (null if the transport cannot tell).</summary>
    IPEndPoint? RemoteEndPoint { get; }

    /// <summary>The address the client connected to (the PROXY header's destination), or null once the connection is gone.</summary>
    IPEndPoint? GetLocalEndPoint();

    /// <summary>
    /// Waits, holding no buffer, until the client has sent something or closed; returns how many bytes
    /// are ready (0 at end of stream).
    /// </summary>
    /// <exception cref="PeerFailedException">The client reset the connection.</exception>
    /// <exception cref="ObjectDisposedException">The flow aborted the connection meanwhile.</exception>
    /// <exception cref="TimeoutException">Nothing came within <paramref name="timeout"/> (the transport keeps the deadline: on epoll, a timer of the loop, no runtime timer per connection).</exception>
    ValueTask<int> WaitForBytesAsync(TimeSpan timeout);

    /// <summary>Takes up to <paramref name="destination"/>'s length of what the client sent; 0 at end of stream.</summary>
    /// <exception cref="PeerFailedException">The client reset the connection.</exception>
    /// <exception cref="ObjectDisposedException">The flow aborted the connection meanwhile.</exception>
    /// <exception cref="TimeoutException">Nothing came within <paramref name="timeout"/>.</exception>
    ValueTask<int> ReceiveAsync(Memory<byte> destination, TimeSpan timeout);

    /// <summary>
    /// Closes the connection: abortively (RST) with <paramref name="reset"/>, else with a FIN. Ends every
    /// wait above. Any thread, any number of times; the first call decides how it closed.
    /// </summary>
    void Abort(bool reset);

    /// <summary>
    /// Starts relaying this connection: from now on what the client sends is read and held (up to the
    /// pause threshold) until a backend leg is connected and the relay runs. Called once.
    /// </summary>
    IRelay StartRelay(IRelayOwner owner);
}
