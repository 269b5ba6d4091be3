using System.Net;
using L4Balancer.Core.Net;
using Tomlyn.Syntax;

namespace L4Balancer.Core.Config;

/// <summary>
/// Turns the folded TOML tree into a <see cref="BalancerConfig"/>, checking the schema and the
/// cross-references (names, binds, SNI claims). It keeps going after an error so that one run reports
/// every problem; the snapshot it returns is only used when there were none.
/// </summary>
internal sealed partial class ConfigBinder
{
    private readonly ConfigDiagnostics _diagnostics;
    private readonly Func<string, IPAddress[]> _resolveHost;
    private readonly string _baseDirectory;

    /// <summary><c>global.resolve_interval</c>, for the warning about a backend host name that does not resolve.</summary>
    private TimeSpan _resolveInterval = new GlobalConfig().ResolveInterval;

    /// <param name="resolveHost">DNS for backend host names (a seam for tests).</param>
    /// <param name="baseDirectory">Where relative <c>file:</c> token paths start.</param>
    public ConfigBinder(ConfigDiagnostics diagnostics, Func<string, IPAddress[]> resolveHost, string baseDirectory)
    {
        _diagnostics = diagnostics;
        _resolveHost = resolveHost;
        _baseDirectory = baseDirectory;
    }

    public BalancerConfig Bind(TomlSourceTable root)
    {
        var reader = new ConfigTableReader(root, "", _diagnostics);
        var global = reader.Table("global", "[global]") is { } globalTable ? BindGlobal(globalTable) : new GlobalConfig();
        _resolveInterval = global.ResolveInterval;
        var admin = reader.Table("admin", "[admin]") is { } adminTable ? BindAdmin(adminTable) : null;
        var cluster = reader.Table("cluster", "[cluster]") is { } clusterTable ? BindCluster(clusterTable) : null;
        var tenantTables = reader.TableArray("tenant", "[[tenant]]") ?? [];
        var listenerTables = reader.TableArray("listener", "[[listener]]") ?? [];
        reader.Entry("include"); // expanded by ConfigSources: its tables are in the arrays above
        reader.ReportUnknownKeys();
        if (listenerTables.Count == 0 && !reader.Has("listener"))
        {
            // Valid TOML and valid against the schema, but applied by a reload it would close every
            // listener: an empty or truncated file from one botched deploy was a full outage (issue 11).
            // A "listener" key of the wrong shape has its own error already.
            _diagnostics.Add(null, "no [[listener]]: a balancer needs at least one listener");
        }

        // Listeners refer to tenants that usually come later in the file, so collect the names first.
        var tenantNames = tenantTables
            .Select(t => t.Find("name")?.Value)
            .OfType<StringValueSyntax>()
            .Select(s => s.Value ?? "")
            .ToHashSet(StringComparer.Ordinal);
        var anyServerName = tenantTables.Any(t => t.Find("sni")?.Value is ArraySyntax { Items.ChildrenCount: > 0 });
        var listeners = BindListeners(listenerTables, tenantNames, anyServerName, out var hasSniListener);
        var tenants = BindTenants(tenantTables, hasSniListener);
        WarnUnreachable(listenerTables, tenantTables);
        return new BalancerConfig
        {
            Global = global,
            Admin = admin,
            Cluster = cluster,
            Listeners = listeners,
            Tenants = tenants,
        };
    }

    /// <summary>
    /// Listener and tenant names end up in metric labels, log fields and admin URLs
    /// (<c>/api/tenants/{tenant}/...</c>), so they are kept to characters that need no escaping anywhere.
    /// </summary>
    private string? ReadName(ConfigTableReader reader, string kind)
    {
        if (reader.RequiredString("name") is not { } name)
        {
            return null;
        }

        if (name.Value.Length == 0)
        {
            reader.Error(name.Line, "name must not be empty");
            return null;
        }

        reader.Context = $"{kind} \"{name.Value}\"";
        if (!name.Value.All(IsNameChar))
        {
            reader.Error(name.Line, "name may contain only letters, digits, \".\", \"_\" and \"-\"");
        }

        return name.Value;
    }

    /// <summary>The characters of every name the config gives (listeners, tenants, a cluster instance).</summary>
    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private List<(IpPrefix Prefix, int Line)> ReadPrefixes(ConfigTableReader reader, string key, string context)
    {
        var prefixes = new List<(IpPrefix, int)>();
        foreach (var item in reader.StringArray(key))
        {
            if (IpPrefix.TryParse(item.Value, out var prefix, out var error))
            {
                prefixes.Add((prefix, item.Line));
            }
            else
            {
                _diagnostics.Add(item.Line, $"{context}: {error}");
            }
        }

        return prefixes;
    }
}
