namespace L4Balancer.Core.Cluster;

/// <summary>
/// One drain or undrain, as kept in Redis (the set of drained backends holds <see cref="Key"/>) and
/// published to the fleet (<see cref="Message"/>, which names its sender so it can skip its own).
/// </summary>
internal readonly record struct FleetDrain(string Tenant, string Address, bool Draining)
{
    /// <summary>Tenant names have no spaces (config rule); addresses as written are host:port, lower-cased here.</summary>
    public string Key => $"{Tenant} {Address.ToLowerInvariant()}";

    public string Message(string member) => $"{(Draining ? '1' : '0')} {member} {Key}";

    public static bool TryParseKey(string key, out FleetDrain drain, bool draining = true)
    {
        var space = key.IndexOf(' ', StringComparison.Ordinal);
        drain = space > 0 && space < key.Length - 1 ? new FleetDrain(key[..space], key[(space + 1)..], draining) : default;
        return space > 0 && space < key.Length - 1;
    }

    /// <summary>Parses <see cref="Message"/>'s form: "1|0 member tenant address".</summary>
    public static bool TryParseMessage(string message, out string member, out FleetDrain drain)
    {
        member = "";
        drain = default;
        var parts = message.Split(' ', 3);
        if (parts.Length != 3 || parts[0] is not ("0" or "1"))
        {
            return false;
        }

        member = parts[1];
        return TryParseKey(parts[2], out drain, parts[0] == "1");
    }
}
