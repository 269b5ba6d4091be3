using System.Net;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// Fixed free ports for the port listener, the sni listener and the admin endpoint, known before the
/// process starts so the test can connect across every upgrade (a port-0 listener keeps its port too:
/// ListenerKindsUpgradeTests).
/// </summary>
internal sealed record UpgradePorts(IPEndPoint Plain, IPEndPoint Tls, IPEndPoint Admin)
{
    public static UpgradePorts Free() => new(TestConfigs.ClosedPort(), TestConfigs.ClosedPort(), TestConfigs.ClosedPort());
}
