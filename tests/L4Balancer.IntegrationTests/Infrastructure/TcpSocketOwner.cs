using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// Which process holds a TCP connection: its socket inode from /proc/net/tcp (or tcp6, for an
/// IPv4-mapped socket), then the process whose /proc/PID/fd has <c>socket:[inode]</c>.
/// </summary>
internal static class TcpSocketOwner
{
    /// <summary>The one of <paramref name="pids"/> that holds the socket <paramref name="local"/> → <paramref name="remote"/>, or null.</summary>
    public static int? Find(IPEndPoint local, IPEndPoint remote, IEnumerable<int> pids)
    {
        if (Inode(local, remote) is not { } inode)
        {
            return null;
        }

        var link = $"socket:[{inode}]";
        foreach (var pid in pids)
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Any(fd => LinkTarget(fd) == link))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // that process is gone
            }
        }

        return null;
    }

    private static string? LinkTarget(string fd)
    {
        try
        {
            return new FileInfo(fd).LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed meanwhile
        }
    }

    private static long? Inode(IPEndPoint local, IPEndPoint remote)
    {
        var files = local.AddressFamily == AddressFamily.InterNetwork
            ? new[] { ("/proc/net/tcp", local, remote), ("/proc/net/tcp6", new IPEndPoint(local.Address.MapToIPv6(), local.Port), new IPEndPoint(remote.Address.MapToIPv6(), remote.Port)) }
            : [("/proc/net/tcp6", local, remote)];
        foreach (var (file, l, r) in files)
        {
            var wantLocal = Hex(l);
            var wantRemote = Hex(r);

            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[1] == wantLocal && fields[2] == wantRemote)
                {
                    return long.Parse(fields[9], CultureInfo.InvariantCulture);
                }
            }
        }

        return null;
    }

    /// <summary>The kernel's form: each 32-bit word of the address as a host-order hex number, then the port.</summary>
    private static string Hex(IPEndPoint endPoint)
    {
        var bytes = endPoint.Address.GetAddressBytes();
        var words = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToUInt32(bytes, i * 4).ToString("X8", CultureInfo.InvariantCulture));
        return string.Concat(words) + ":" + endPoint.Port.ToString("X4", CultureInfo.InvariantCulture);
    }
}
