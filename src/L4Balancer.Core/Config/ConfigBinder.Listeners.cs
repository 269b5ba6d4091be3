using System.Net;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[[listener]]</c> tables.</summary>
internal sealed partial class ConfigBinder
{
    /// <param name="anyServerName">Whether any tenant claims a server name (<c>sni = [...]</c>).</param>
    /// <param name="hasSniListener">Whether any listener routes by SNI, even one with other errors.</param>
    private List<ListenerConfig> BindListeners(IReadOnlyList<TomlSourceTable> tables, HashSet<string> tenantNames, bool anyServerName, out bool hasSniListener)
    {
        hasSniListener = false;
        var listeners = new List<ListenerConfig>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var binds = new List<(IPEndPoint EndPoint, string Context)>();
        for (var i = 0; i < tables.Count; i++)
        {
            var reader = new ConfigTableReader(tables[i], $"listener #{i + 1}", _diagnostics);
            var name = ReadName(reader, "listener");
            if (name is not null && !names.TryAdd(name, reader.Line))
            {
                _diagnostics.Add(reader.KeyLine("name"), $"listener \"{name}\" is already defined {_diagnostics.Refer(names[name], reader.KeyLine("name"))}");
            }

            var bind = ReadBind(reader, binds);
            var route = reader.Choice("route", RouteMode.Port, ("sni", RouteMode.Sni), ("port", RouteMode.Port));
            hasSniListener |= route == RouteMode.Sni;
            var tenant = reader.String("tenant");
            if (tenant is { } t && !tenantNames.Contains(t.Value))
            {
                reader.Error(t.Line, $"tenant \"{t.Value}\" is not defined");
            }

            if (route == RouteMode.Port && !reader.Has("tenant"))
            {
                reader.Error(reader.Line, "route \"port\" needs a tenant");
            }

            if (route == RouteMode.Sni && !reader.Has("tenant") && !anyServerName)
            {
                // It would bind and refuse every connection (unknown_sni): a file truncated after its
                // listeners is as much an outage as an empty one (issue 11).
                reader.Error(reader.Line, "route \"sni\" without a fallback tenant needs a tenant that claims server names (sni = [...]); as written it refuses every connection");
            }

            var (acceptProxy, trusted) = ReadAcceptProxy(reader);
            reader.ReportUnknownKeys();
            if (name is not null && bind is not null)
            {
                listeners.Add(new ListenerConfig
                {
                    Name = name,
                    Bind = bind,
                    Route = route ?? RouteMode.Port,
                    Tenant = tenant?.Value,
                    AcceptProxy = acceptProxy,
                    TrustedProxies = trusted,
                });
            }
        }

        return listeners;
    }

    /// <summary>
    /// <c>accept_proxy</c> and <c>trusted_proxies</c> go together: a header accepted from anyone would
    /// let anyone claim any client address (and walk past every allow and deny list), so the list is
    /// required; and a list without <c>accept_proxy</c> would silently treat the proxy as the client.
    /// </summary>
    private (bool AcceptProxy, List<IpPrefix> Trusted) ReadAcceptProxy(ConfigTableReader reader)
    {
        var acceptProxy = reader.Bool("accept_proxy", false);
        var listed = reader.Has("trusted_proxies");
        var trusted = ReadPrefixes(reader, "trusted_proxies", reader.Context).Select(p => p.Prefix).ToList();
        if (acceptProxy && !listed)
        {
            reader.Error(reader.KeyLine("accept_proxy"), "accept_proxy = true needs trusted_proxies (the CIDRs allowed to send a PROXY header)");
        }
        else if (acceptProxy && trusted.Count == 0 && reader.StringArray("trusted_proxies").Count == 0)
        {
            // (Items that are not CIDRs were reported above, and the errors are listed once each.)
            reader.Error(reader.KeyLine("trusted_proxies"), "trusted_proxies is empty: with accept_proxy = true it must list the CIDRs allowed to send a PROXY header");
        }
        else if (!acceptProxy && listed)
        {
            reader.Error(reader.KeyLine("trusted_proxies"), "trusted_proxies is set but accept_proxy is not true (set accept_proxy = true, or remove trusted_proxies)");
        }

        return (acceptProxy, trusted);
    }

    /// <summary>
    /// Two listeners on one port fail at bind time, long after <c>check</c> said the file was fine:
    /// the same address, or a wildcard that covers the other (<c>[::]</c> is dual stack, so it covers
    /// IPv4 too). Port 0 never clashes: each bind gets its own free port.
    /// </summary>
    private IPEndPoint? ReadBind(ConfigTableReader reader, List<(IPEndPoint EndPoint, string Context)> binds)
    {
        if (reader.RequiredString("bind") is not { } text)
        {
            return null;
        }

        if (!EndPointParser.TryParseBind(text.Value, out var endPoint, out var error))
        {
            reader.Error(text.Line, $"bind {error}");
            return null;
        }

        if (endPoint.Port != 0)
        {
            foreach (var (other, otherContext) in binds)
            {
                if (other.Port != endPoint.Port)
                {
                    continue;
                }

                if (other.Address.Equals(endPoint.Address))
                {
                    reader.Error(text.Line, $"bind \"{text.Value}\" is already used by {otherContext}");
                    break;
                }

                if (Covers(other.Address, endPoint.Address) || Covers(endPoint.Address, other.Address))
                {
                    reader.Error(text.Line, $"bind \"{text.Value}\" overlaps {otherContext} (\"{other}\")");
                    break;
                }
            }
        }

        binds.Add((endPoint, reader.Context));
        return endPoint;
    }

    private static bool Covers(IPAddress wildcard, IPAddress address) =>
        wildcard.Equals(IPAddress.IPv6Any)
        || (wildcard.Equals(IPAddress.Any) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
}
