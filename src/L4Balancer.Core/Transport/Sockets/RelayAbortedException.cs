namespace L4Balancer.Core.Transport.Sockets;

/// <summary>
/// Completes a direction's pipe when its receive loop ended by anything but the peer's FIN (a reset,
/// or the session closing the socket). The send loop reading that pipe then stops without a
/// shutdown: only a real FIN is passed on as a FIN. Completing normally instead let the other
/// side's send loop shut its socket down (a FIN) in the moment before the session's abort closed it
/// with an RST, so a reset arrived as a clean end (issue 11, defect 3).
/// </summary>
internal sealed class RelayAbortedException() : Exception("the other side of the relay was reset or closed");
