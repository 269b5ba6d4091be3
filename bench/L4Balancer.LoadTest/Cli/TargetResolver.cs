using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Config;

namespace L4Balancer.LoadTest.Cli;

/// <summary>
/// <c>HOST:PORT</c> to one address, resolved once before the run. A load generator aimed at the
/// wrong address is an attack, so anything but loopback needs <c>--allow-remote</c>.
/// </summary>
internal static class TargetResolver
{
    public static bool TryResolve(string option, string text, bool allowRemote, [NotNullWhen(true)] out IPEndPoint? endPoint, [NotNullWhen(false)] out string? error)
    {
        endPoint = null;
        if (!EndPointParser.TryParseBackend(text, out var host, out var port, out var address, out var parseError))
        {
            error = $"{option} {parseError}";
            return false;
        }

        if (address is null)
        {
            try
            {
                var addresses = Dns.GetHostAddresses(host);
                address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
            }
            catch (SocketException e)
            {
                error = $"{option} {host}: {e.Message}";
                return false;
            }

            if (address is null)
            {
                error = $"{option} {host}: no address";
                return false;
            }
        }

        if (!IPAddress.IsLoopback(address) && !allowRemote)
        {
            error = $"{option} {text} ({address}) is not a loopback address; pass --allow-remote if you own that host and mean to load it";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }
}
