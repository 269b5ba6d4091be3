using System.Net;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Fixed free ports for the port listener, the sni listener and the admin endpoint: an upgrade hands
/// over sockets by their configured address, which port 0 would not name.
/// </summary>
internal sealed record UpgradePorts(IPEndPoint Plain, IPEndPoint Tls, IPEndPoint Admin)
{
    public static UpgradePorts Free() => new(TestConfigs.ClosedPort(), TestConfigs.ClosedPort(), TestConfigs.ClosedPort());
}
