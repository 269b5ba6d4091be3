using System.Net.Sockets;

namespace L4Balancer.Core.Handover;

/// <summary>Closing a listening socket that another process may hold too.</summary>
internal static class SharedSocket
{
    /// <summary>
    /// Closes this process's descriptor without touching the kernel socket the other holders use: with
    /// <c>FD_CLOEXEC</c> set, .NET's Dispose may "unblock" a pending accept with connect(AF_UNSPEC), which
    /// on a listening socket stops the listen for every process (see <see cref="HandoverNative.ClearCloseOnExec"/>).
    /// Done for every listener, shared or not: a successor may hold any of them at any moment of an upgrade.
    /// The flag matters only until the close a moment later; upgrades, the one place this process starts
    /// another, never run beside a listener's close (they hold the reload gate).
    /// </summary>
    public static void Close(Socket socket)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                HandoverNative.ClearCloseOnExec((int)socket.SafeHandle.DangerousGetHandle());
            }
            catch (ObjectDisposedException)
            {
                return; // closed already
            }
        }

        socket.Dispose();
    }
}
