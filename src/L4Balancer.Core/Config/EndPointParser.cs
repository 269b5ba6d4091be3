using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace L4Balancer.Core.Config;

/// <summary>
/// <c>IPv4:port</c>, <c>[IPv6]:port</c> and (for backends) <c>host:port</c>. Stricter than
/// <see cref="IPEndPoint.TryParse(string, out IPEndPoint?)"/>, which takes a missing port as 0, an
/// unbracketed IPv6 address and inet_aton shorthands like <c>10.1</c>.
/// </summary>
internal static class EndPointParser
{
    /// <summary>A local address to bind: an IP literal and a port, 0 (any free port) allowed.</summary>
    public static bool TryParseBind(string text, [NotNullWhen(true)] out IPEndPoint? endPoint, [NotNullWhen(false)] out string? error)
    {
        endPoint = null;
        if (!TrySplit(text, out var hostText, out var portText, out var bracketed)
            || !TryParseAddress(hostText, bracketed, out var address))
        {
            error = $"\"{text}\" must be IPv4:port or [IPv6]:port";
            return false;
        }

        if (!TryParsePort(portText, out var port))
        {
            error = $"\"{text}\" has an invalid port (0-65535)";
            return false;
        }

        endPoint = new IPEndPoint(address, port);
        error = null;
        return true;
    }

    /// <summary>
    /// A backend: an IP literal or a host name, and a port from 1 to 65535. <paramref name="address"/>
    /// is set for IP literals; a host name is left for the caller to resolve.
    /// </summary>
    public static bool TryParseBackend(string text, [NotNullWhen(true)] out string? host, out int port, out IPAddress? address, [NotNullWhen(false)] out string? error)
    {
        host = null;
        port = 0;
        address = null;
        if (!TrySplit(text, out var hostText, out var portText, out var bracketed))
        {
            error = $"\"{text}\" must be IP:port, [IPv6]:port or host:port";
            return false;
        }

        if (!bracketed && hostText.Contains(':', StringComparison.Ordinal))
        {
            error = $"\"{text}\": an IPv6 address needs brackets, e.g. \"[2001:db8::1]:443\"";
            return false;
        }

        if (TryParseAddress(hostText, bracketed, out var literal))
        {
            address = literal;
        }
        else if (bracketed || !HostName.IsValidHostName(hostText))
        {
            error = $"\"{text}\" must be IP:port, [IPv6]:port or host:port";
            return false;
        }

        if (!TryParsePort(portText, out port) || port == 0)
        {
            error = $"\"{text}\" has an invalid port (1-65535)";
            return false;
        }

        host = hostText;
        error = null;
        return true;
    }

    private static bool TrySplit(string text, out string host, out string port, out bool bracketed)
    {
        bracketed = text.StartsWith('[');
        var colon = bracketed ? text.IndexOf("]:", StringComparison.Ordinal) + 1 : text.LastIndexOf(':');
        if (colon <= 0)
        {
            host = port = "";
            return false;
        }

        host = bracketed ? text[1..(colon - 1)] : text[..colon];
        port = text[(colon + 1)..];
        return host.Length > 0;
    }

    private static bool TryParseAddress(string text, bool bracketed, [NotNullWhen(true)] out IPAddress? address)
    {
        if (!IPAddress.TryParse(text, out address) || text.Contains('%', StringComparison.Ordinal))
        {
            address = null;
            return false;
        }

        // IPv4 must be written as four decimal octets (IPAddress also takes "10.1" and hex parts),
        // and only IPv6 goes in brackets.
        var ok = address.AddressFamily == AddressFamily.InterNetworkV6
            ? bracketed
            : !bracketed && string.Equals(address.ToString(), text, StringComparison.Ordinal);
        if (!ok)
        {
            address = null;
        }

        return ok;
    }

    private static bool TryParsePort(string text, out int port)
    {
        port = 0;
        return text.Length is > 0 and <= 5
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port <= IPEndPoint.MaxPort;
    }
}
