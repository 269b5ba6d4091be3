using System.Globalization;
using System.Net.Sockets;

namespace L4Balancer.Core.Handover;

/// <summary>
/// Socket activation (sd_listen_fds(3)): systemd (a <c>.socket</c> unit, or systemd-socket-activate) binds
/// the listening sockets and passes them as descriptors 3, 4, … with <c>LISTEN_FDS</c>, <c>LISTEN_PID</c>
/// and the names from <c>FileDescriptorName=</c> in <c>LISTEN_FDNAMES</c>. A socket named like a listener
/// serves that listener (whatever its <c>bind</c> says: the socket unit decides the address); one named
/// <c>admin</c> serves the admin endpoint. systemd keeps its own copy, so even a plain restart queues
/// connects instead of refusing them.
/// </summary>
internal static class SystemdSockets
{
    private const int FirstDescriptor = 3; // SD_LISTEN_FDS_START
    private const string UnsupportedKind = "unsupported";

    /// <summary>
    /// The sockets systemd passed to this process, or null if none. The variables are removed either way
    /// (as sd_listen_fds(unset_environment=1)), so that a process this one starts never takes them as its own.
    /// </summary>
    public static AdoptedSockets? FromEnvironment()
    {
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        var names = Environment.GetEnvironmentVariable("LISTEN_FDNAMES")?.Split(':') ?? [];
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        if (!OperatingSystem.IsLinux()
            || !int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var listenPid) || listenPid != Environment.ProcessId
            || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            return null;
        }

        var sockets = new List<(HandoverSocket, Socket)>();
        for (var i = 0; i < n; i++)
        {
            var fd = FirstDescriptor + i;

            // Inherited without FD_CLOEXEC: set it, or every process an upgrade starts would inherit it too.
            HandoverNative.SetCloseOnExec(fd);
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            var name = i < names.Length && names[i].Length > 0 ? names[i] : $"fd{fd}";
            var kind = socket.SocketType != SocketType.Stream || socket.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                ? UnsupportedKind // a Unix or datagram socket: nothing here can serve it
                : name == "admin" ? HandoverSocket.AdminKind : HandoverSocket.ListenerKind;
            var endPoint = socket.LocalEndPoint?.ToString() ?? "?";
            sockets.Add((new HandoverSocket(kind, name, HandoverSocket.AnyBind, endPoint), socket));
        }

        return AdoptedSockets.FromSockets(sockets);
    }
}
