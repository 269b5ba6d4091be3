using System.Net;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>Config files for runs of the real executable.</summary>
internal static class OpsConfigs
{
    public static async Task<string> WriteAsync(string body)
    {
        var path = Path.Combine(Path.GetTempPath(), $"l4b-ops-{Guid.NewGuid():N}.toml");
        await File.WriteAllTextAsync(path, body);
        return path;
    }

    /// <summary>
    /// One port-routed listener in front of one backend; an [admin] table when <paramref name="admin"/> is
    /// given. The transport is the suite's (<see cref="TestTransport"/>), so these runs of the real
    /// executable cover each transport too.
    /// </summary>
    public static string PortRouted(IPEndPoint backend, string bind = "127.0.0.1:0", (string Listen, string Token)? admin = null) => $"""
        [global]
        drain_timeout = "30s"
        transport = "{TestTransport.ConfigValue}"
        {(admin is { } a ? $"""

        [admin]
        listen = "{a.Listen}"
        token = "{a.Token}"
        """ : "")}

        [[listener]]
        name = "main"
        bind = "{bind}"
        route = "port"
        tenant = "t1"

        [[tenant]]
        name = "t1"

        [[tenant.backend]]
        address = "{backend}"
        """;
}
