using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting.Systemd;

namespace L4Balancer.Hosting;

/// <summary>
/// sd_notify(3): one datagram to the unix socket named by <c>NOTIFY_SOCKET</c> (a path, or an abstract
/// name written with a leading '@'). Microsoft.Extensions.Hosting.Systemd registers its notifier only
/// when it believes systemd is the parent process (SystemdHelpers.IsSystemdService: PID 1 with
/// NOTIFY_SOCKET set, or a parent named "systemd"), so under a supervisor that is not systemd's direct
/// child (a wrapper script, a test) it would stay silent; this one sends whenever the variable is set.
/// </summary>
internal sealed class SdNotifier : ISystemdNotifier, IDisposable
{
    public const string Variable = "NOTIFY_SOCKET";

    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly Lock _lock = new();
    private Socket? _socket;

    public SdNotifier(string? notifySocket)
    {
        if (!string.IsNullOrEmpty(notifySocket) && (notifySocket[0] == '/' || notifySocket[0] == '@'))
        {
            // UnixDomainSocketEndPoint takes an abstract name with a leading NUL, as the kernel does.
            _endPoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
        }
    }

    public static SdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable(Variable));

    public bool IsEnabled => _endPoint is not null;

    public void Notify(ServiceState state)
    {
        if (_endPoint is null)
        {
            return;
        }

        var message = Encoding.UTF8.GetBytes(state.ToString());
        lock (_lock)
        {
            try
            {
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                _socket.SendTo(message, _endPoint);
            }
            catch (SocketException)
            {
                // As sd_notify: a supervisor that went away is not the service's failure.
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }
}
