using System.Net;
using L4Balancer.Core.Limits;

namespace L4Balancer.Core.Transport;

/// <summary>
/// The bytes of one connection: the client leg it was started on and a backend leg it connects, both
/// directions, half-close and reset passed through, and the abort. Failures on either leg come back to
/// the <see cref="IRelayOwner"/> as calls (a reset is a close reason, not an exception). One
/// implementation per transport.
/// </summary>
internal interface IRelay : IDisposable
{
    /// <summary>Bytes read from the client since the relay started (live, read without locks).</summary>
    long BytesFromClient { get; }

    /// <summary>Bytes read from the backend (live, read without locks).</summary>
    long BytesFromBackend { get; }

    /// <summary>
    /// Completes when every loop the relay started has ended: after <see cref="RunAsync"/>, or, for a
    /// connection rejected before a backend was connected, once <see cref="Abort"/> has ended the
    /// client leg's reads.
    /// </summary>
    Task Stopped { get; }

    /// <summary>
    /// Opens the backend leg. A leg that fails is closed again by the relay, so the flow can try another
    /// backend on the same relay; an abort meanwhile ends the attempt, and so does <paramref name="timeout"/>
    /// (failed, "timeout"), kept by the transport.
    /// </summary>
    ValueTask<BackendConnect> ConnectAsync(IPEndPoint backend, TimeSpan timeout);

    /// <summary>
    /// Writes <paramref name="prelude"/> (a PROXY protocol header) to the connected backend before any
    /// client byte; returns null, or the error ("timeout" after <paramref name="timeout"/>), in which case
    /// the backend leg is closed again.
    /// </summary>
    ValueTask<string?> SendToBackendAsync(ReadOnlyMemory<byte> prelude, TimeSpan timeout);

    /// <summary>
    /// Relays both ways until both directions are finished (each FIN passed on as a FIN, a reset as a
    /// reset) or the relay is aborted. <paramref name="clientPrelude"/> (the bytes the flow took from
    /// the client before, <see cref="IClientConnection.ReceiveAsync"/>) goes to the backend first;
    /// <paramref name="preludeOwner"/> is disposed once it is sent or the relay ends. A throttle paces
    /// its direction (a tenant's <c>bandwidth</c>); null means unlimited.
    /// </summary>
    Task RunAsync(ReadOnlyMemory<byte> clientPrelude, IDisposable? preludeOwner, BandwidthThrottle? toBackend, BandwidthThrottle? toClient);

    /// <summary>
    /// Closes both legs (abortively with <paramref name="reset"/>) and ends every loop, including one
    /// waiting for a reader above the pause threshold. Any thread, any number of times.
    /// </summary>
    void Abort(bool reset);
}
