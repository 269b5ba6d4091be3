namespace L4Balancer.Core.Handover;

/// <summary>
/// One socket in a handover: what it is (<c>listener</c> or <c>admin</c>), the listener's name, the
/// address the config asked for (port 0 stays 0) and the address it is bound to. Its descriptor travels
/// beside the message, in the same order as the list.
/// </summary>
internal sealed record HandoverSocket(string Kind, string Name, string Bind, string EndPoint)
{
    public const string ListenerKind = "listener";
    public const string AdminKind = "admin";

    /// <summary>A <see cref="Bind"/> that matches any configured address: sockets from systemd are matched by name.</summary>
    public const string AnyBind = "*";
}
