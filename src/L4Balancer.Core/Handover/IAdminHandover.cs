using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Handover;

/// <summary>
/// What a binary upgrade and a SIGTERM drain need of the admin endpoint: its listening socket to hand
/// over, and the means to let go of it. The host asks through this, not the admin's own types, so the
/// admin endpoint can depend on the host's abstractions and never the reverse.
/// </summary>
internal interface IAdminHandover
{
    /// <summary>The listening socket and the address the config asked for; null before start.</summary>
    (Socket Socket, EndPoint Listen)? ListenSocket { get; }

    /// <summary>A successor has taken the admin socket over: stop accepting on it, leaving the kernel socket to the successor.</summary>
    Task HandOverAsync();

    /// <summary>This process is draining after SIGTERM (not an upgrade): give the admin socket to a new process that asks for it.</summary>
    void OfferToSuccessor();
}
