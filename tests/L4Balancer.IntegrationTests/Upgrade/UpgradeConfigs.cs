using System.Net;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>Config files for the upgrade tests.</summary>
internal static class UpgradeConfigs
{
    /// <summary>The admin token comes from this variable (<c>env:</c>), which the new process inherits.</summary>
    public const string TokenVariable = "L4B_TEST_ADMIN_TOKEN";

    public const string Tenant = "t1";

    /// <summary>Appended to a good config: an unknown key, so the file fails with a FILE:LINE error naming it.</summary>
    public const string InvalidTail = "\nbogus_key = 1\n";

    public const string InvalidKey = "bogus_key";

    /// <summary>
    /// A port listener "plain" and an sni listener "tls" (the name ClientHelloBuilder sends by
    /// default) in front of tenant t1 with <paramref name="backends"/>, and the admin endpoint.
    /// </summary>
    public static string Body(UpgradePorts ports, IEnumerable<IPEndPoint> backends, string? upgradeTimeout = null) => $"""
        [global]
        drain_timeout = "30s"
        {(upgradeTimeout is null ? "" : $"upgrade_timeout = \"{upgradeTimeout}\"")}

        [admin]
        listen = "{ports.Admin}"
        token = "env:{TokenVariable}"

        [[listener]]
        name = "plain"
        bind = "{ports.Plain}"
        route = "port"
        tenant = "{Tenant}"

        [[listener]]
        name = "tls"
        bind = "{ports.Tls}"
        route = "sni"

        [[tenant]]
        name = "{Tenant}"
        sni = ["llm.acme.example"]
        {string.Concat(backends.Select(b => $"""

        [[tenant.backend]]
        address = "{b}"
        """))}
        """;
}
