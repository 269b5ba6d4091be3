using System.Net.Sockets;
using System.Text;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// The test's stand-in for systemd's notification socket: a unix datagram socket, bound to a file
/// path or an abstract name, whose address goes into the child's <c>NOTIFY_SOCKET</c>.
/// </summary>
internal sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket;
    private readonly string? _file;

    private NotifySocket(Socket socket, string address, string? file)
    {
        _socket = socket;
        Address = address;
        _file = file;
    }

    /// <summary>What to put in NOTIFY_SOCKET: a path, or "@name" for an abstract socket.</summary>
    public string Address { get; }

    public static NotifySocket AtPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"l4b-notify-{Guid.NewGuid():N}.sock");
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return new NotifySocket(socket, path, path);
    }

    public static NotifySocket Abstract()
    {
        var name = $"l4b-notify-{Guid.NewGuid():N}";
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        return new NotifySocket(socket, "@" + name, null);
    }

    /// <summary>True if a notification is waiting to be received.</summary>
    public bool HasPending => _socket.Available > 0;

    /// <summary>The next notification (one datagram, e.g. "READY=1\nSTATUS=...").</summary>
    public async Task<string> ReceiveAsync(TimeSpan? timeout = null)
    {
        var buffer = new byte[4096];
        try
        {
            var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, Deadline.After(timeout ?? TimeSpan.FromSeconds(60)));
            return Encoding.UTF8.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no sd_notify message arrived in time");
        }
    }

    /// <summary>Receives until a message has the line <paramref name="line"/>; returns every message seen, that one last.</summary>
    public async Task<List<string>> ReceiveUntilAsync(string line, TimeSpan? timeout = null)
    {
        var seen = new List<string>();
        while (true)
        {
            var message = await ReceiveAsync(timeout);
            seen.Add(message);
            if (message.Split('\n').Contains(line))
            {
                return seen;
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_file is not null)
        {
            File.Delete(_file);
        }
    }
}
