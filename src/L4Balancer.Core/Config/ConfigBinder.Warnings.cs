using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Warnings (issue 17): a config that is valid but most likely not what was meant. They are read from
/// the folded tree rather than the bound snapshot so that <c>check</c> can print them next to the errors
/// of a config that is not valid yet.
/// </summary>
internal sealed partial class ConfigBinder
{
    private void WarnUnreachable(IReadOnlyList<TomlSourceTable> listeners, IReadOnlyList<TomlSourceTable> tenants)
    {
        var named = new HashSet<string>(StringComparer.Ordinal);
        var sniListener = false;
        foreach (var listener in listeners)
        {
            sniListener |= StringOf(listener, "route") == "sni";
            if (StringOf(listener, "tenant") is { } tenant)
            {
                named.Add(tenant);
            }
        }

        var byName = new Dictionary<string, TomlSourceTable>(StringComparer.Ordinal);
        foreach (var tenant in tenants)
        {
            if (StringOf(tenant, "name") is not { } name || !byName.TryAdd(name, tenant))
            {
                continue;
            }

            var claims = tenant.Find("sni")?.Value is ArraySyntax { Items.ChildrenCount: > 0 };
            if (named.Contains(name) || (claims && sniListener))
            {
                continue;
            }

            var line = tenant.Find("name")?.Line ?? tenant.Line;
            _diagnostics.Warn(line, claims
                ? $"tenant \"{name}\" is reachable by no listener: it claims server names but no listener routes by sni, and no listener names it as its tenant"
                : $"tenant \"{name}\" is reachable by no listener: no listener names it as its tenant (or sni fallback), and it claims no server names (sni = [...])");
        }

        foreach (var listener in listeners)
        {
            if (StringOf(listener, "tenant") is not { } tenant || !byName.TryGetValue(tenant, out var table) || HasBackends(table))
            {
                continue;
            }

            var name = StringOf(listener, "name") ?? "?";
            var line = listener.Find("tenant")?.Line ?? listener.Line;
            _diagnostics.Warn(line, StringOf(listener, "route") == "sni"
                ? $"listener \"{name}\": its fallback tenant \"{tenant}\" has no backend, so a ClientHello without a server name a tenant claims is closed (no_backend)"
                : $"listener \"{name}\": its tenant \"{tenant}\" has no backend, so every connection is closed (no_backend)");
        }
    }

    private static bool HasBackends(TomlSourceTable tenant) =>
        tenant.Find("backend") is { Tables.Count: > 0 };

    private static string? StringOf(TomlSourceTable table, string key) =>
        table.Find(key)?.Value is StringValueSyntax { Value: { } text } ? text : null;
}
