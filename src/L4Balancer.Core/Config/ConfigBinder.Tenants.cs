using System.Globalization;
using System.Net;
using System.Net.Sockets;
using L4Balancer.Core.Net;

namespace L4Balancer.Core.Config;

/// <summary>The <c>[[tenant]]</c> tables with their <c>health</c> and <c>[[tenant.backend]]</c> tables.</summary>
internal sealed partial class ConfigBinder
{
    /// <summary>Why a lookup that answered gave nothing usable.</summary>
    internal const string NoAddress = "no IPv4 or IPv6 address";

    private const string ServerNameRules =
        "dot-separated labels of letters, digits and hyphens; a wildcard only as a leading \"*.\"";

    /// <summary>Each host is looked up once per load, however many tenants use it.</summary>
    private readonly Dictionary<string, (IPAddress? Address, string? Error)> _resolved = new(StringComparer.OrdinalIgnoreCase);

    private List<TenantConfig> BindTenants(IReadOnlyList<TomlSourceTable> tables, bool hasSniListener)
    {
        var tenants = new List<TenantConfig>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < tables.Count; i++)
        {
            var reader = new ConfigTableReader(tables[i], $"tenant #{i + 1}", _diagnostics);
            var name = ReadName(reader, "tenant");
            if (name is not null && !names.TryAdd(name, reader.Line))
            {
                _diagnostics.Add(reader.KeyLine("name"), $"tenant \"{name}\" is already defined {_diagnostics.Refer(names[name], reader.KeyLine("name"))}");
            }

            // Tenants are not tied to sni listeners, so a name claimed twice is ambiguous on every one of them.
            var sni = ReadServerNames(reader, hasSniListener ? claims : null);
            var (allow, deny) = ReadAcl(reader);
            var maxConnections = reader.Int("max_connections", 0, min: 0);
            var rate = reader.Int("connection_rate", 0, min: 0);
            var burst = reader.Int("connection_burst", rate, min: 0);
            if (rate > 0 && burst == 0)
            {
                reader.Error(reader.KeyLine("connection_burst"), "connection_burst must be > 0 when connection_rate is set (a bucket of 0 admits nothing)");
            }

            var balance = reader.Choice("balance", BalanceAlgorithm.LeastConnections,
                ("least_connections", BalanceAlgorithm.LeastConnections),
                ("round_robin", BalanceAlgorithm.RoundRobin),
                ("power_of_two", BalanceAlgorithm.PowerOfTwo),
                ("maglev", BalanceAlgorithm.Maglev),
                ("least_load", BalanceAlgorithm.LeastLoad));
            var (hashKey, tableSize, balanceFactor) = ReadMaglev(reader, balance);
            var backends = BindBackends(reader, out var agentPortLines);
            if (balance == BalanceAlgorithm.Maglev)
            {
                CheckMaglevTableSize(reader, tableSize, backends.Count);
            }

            var tenant = new TenantConfig
            {
                Name = name ?? "",
                Sni = sni,
                Allow = allow,
                Deny = deny,
                MaxConnections = maxConnections,
                ConnectionRate = rate,
                ConnectionBurst = burst,
                Bandwidth = reader.Rate("bandwidth"),
                ProxyProtocol = reader.Choice("proxy_protocol", ProxyProtocolMode.Off,
                    ("off", ProxyProtocolMode.Off), ("v1", ProxyProtocolMode.V1), ("v2", ProxyProtocolMode.V2)) ?? ProxyProtocolMode.Off,
                Balance = balance ?? BalanceAlgorithm.LeastConnections,
                HashKey = hashKey,
                HashTableSize = tableSize,
                HashBalanceFactor = balanceFactor,
                Retries = reader.Int("retries", 2, min: 0),
                QueueTimeout = reader.Duration("queue_timeout", TimeSpan.Zero, allowZero: true),
                MaxQueue = ReadMaxQueue(reader),
                Health = reader.Table("health", "[tenant.health]") is { } health ? BindHealth(health, reader.Context, sni) : null,
                Feedback = BindFeedback(reader, backends, agentPortLines),
                Backends = backends,
            };
            CheckLeastLoad(reader, tenant);
            reader.ReportUnknownKeys();
            if (name is not null)
            {
                tenants.Add(tenant);
            }
        }

        return tenants;
    }

    /// <summary>
    /// <c>max_queue</c> bounds the queue <c>queue_timeout</c> turns on, so without it the key would do nothing:
    /// an error, as the Maglev keys are with another <c>balance</c>.
    /// </summary>
    private static int ReadMaxQueue(ConfigTableReader reader)
    {
        var maxQueue = reader.Int("max_queue", 0, min: 0);
        if (reader.Has("max_queue") && !reader.Has("queue_timeout"))
        {
            reader.Error(reader.KeyLine("max_queue"), "max_queue applies only with queue_timeout (the queue is off without it)");
        }

        return maxQueue;
    }

    /// <summary>
    /// <c>hash_key</c>, <c>hash_table_size</c> and <c>hash_balance_factor</c>. They mean something only to
    /// Maglev, so with another <c>balance</c> they are errors rather than silently ignored (as a misspelt
    /// key is), which also catches a <c>balance</c> line someone forgot to change.
    /// </summary>
    private static (HashKey Key, int TableSize, int BalanceFactor) ReadMaglev(ConfigTableReader reader, BalanceAlgorithm? balance)
    {
        var key = reader.Choice("hash_key", HashKey.ClientIp, ("client_ip", HashKey.ClientIp), ("sni", HashKey.Sni)) ?? HashKey.ClientIp;
        var tableSize = reader.Int("hash_table_size", MaglevTableSize.Default, min: 0);
        var factor = reader.Int("hash_balance_factor", 0, min: 0);
        if (balance is { } b && b != BalanceAlgorithm.Maglev)
        {
            foreach (var name in (ReadOnlySpan<string>)["hash_key", "hash_table_size", "hash_balance_factor"])
            {
                if (reader.Has(name))
                {
                    reader.Error(reader.KeyLine(name), $"{name} applies only to balance = \"maglev\"");
                }
            }
        }

        if (factor is > 0 and <= 100)
        {
            reader.Error(reader.KeyLine("hash_balance_factor"), string.Create(CultureInfo.InvariantCulture,
                $"hash_balance_factor must be 0 (off) or greater than 100, a percentage of the average load (got {factor})"));
            factor = 0;
        }

        return (key, tableSize, factor);
    }

    /// <summary>
    /// <c>least_load</c> without reports would silently be <c>least_connections</c>, which is most likely a
    /// forgotten <c>[tenant.feedback]</c> table, so it is an error at the <c>balance</c> line rather than
    /// HAProxy-style leniency. With an agent (whose line carries weights and states, no load figure) it is
    /// least connections over the weights the agent reports, as HAProxy's leastconn with agent-check. A
    /// <c>feedback</c> table that failed to bind has its own errors; this adds none then.
    /// </summary>
    private static void CheckLeastLoad(ConfigTableReader reader, TenantConfig tenant)
    {
        if (tenant.Balance != BalanceAlgorithm.LeastLoad)
        {
            return;
        }

        if (tenant.Feedback is null && !reader.Has("feedback"))
        {
            reader.Error(reader.KeyLine("balance"),
                "balance = \"least_load\" needs a [tenant.feedback] table: without load reports it is least_connections");
        }
    }

    private static void CheckMaglevTableSize(ConfigTableReader reader, int size, int backends)
    {
        var line = reader.KeyLine("hash_table_size");
        if (size < MaglevTableSize.Min || size > MaglevTableSize.Max)
        {
            reader.Error(line, string.Create(CultureInfo.InvariantCulture,
                $"hash_table_size must be a prime from {MaglevTableSize.Min} to {MaglevTableSize.Max} (got {size})"));
        }
        else if (!MaglevTableSize.IsPrime(size))
        {
            var (below, above) = MaglevTableSize.NearestPrimes(size);
            reader.Error(line, string.Create(CultureInfo.InvariantCulture,
                $"hash_table_size must be a prime (got {size}; the nearest primes are {below} and {above})"));
        }
        else if (backends > MaglevTableSize.MaxBackends)
        {
            reader.Error(reader.Line, string.Create(CultureInfo.InvariantCulture,
                $"balance = \"maglev\" takes at most {MaglevTableSize.MaxBackends} backends (got {backends})"));
        }
        else if ((long)size < (long)MaglevTableSize.MinEntriesPerBackend * backends)
        {
            reader.Error(line, string.Create(CultureInfo.InvariantCulture,
                $"hash_table_size {size} is too small for {backends} backends: it must be at least {MaglevTableSize.MinEntriesPerBackend} entries per backend ({MaglevTableSize.MinEntriesPerBackend * backends}); 100 per backend keeps each backend's share within about 1 % of its weight"));
        }
    }

    /// <param name="claims">Names already claimed by earlier tenants, or null when no listener routes by SNI.</param>
    private List<string> ReadServerNames(ConfigTableReader reader, Dictionary<string, string>? claims)
    {
        var names = new List<string>();
        foreach (var item in reader.StringArray("sni"))
        {
            if (!HostName.TryNormalizeServerName(item.Value, out var name))
            {
                reader.Error(item.Line, $"sni \"{item.Value}\" is not a valid server name ({ServerNameRules})");
                continue;
            }

            if (names.Contains(name))
            {
                reader.Error(item.Line, $"sni \"{item.Value}\" is listed twice");
                continue;
            }

            names.Add(name);
            if (claims is not null && !claims.TryAdd(name, reader.Context))
            {
                reader.Error(item.Line, $"sni \"{item.Value}\" is already claimed by {claims[name]}");
            }
        }

        return names;
    }

    /// <summary>
    /// One prefix in both lists would get two verdicts in one radix tree; whichever was inserted last
    /// would win silently, so it is an error.
    /// </summary>
    private (List<IpPrefix> Allow, List<IpPrefix> Deny) ReadAcl(ConfigTableReader reader)
    {
        var allow = ReadPrefixes(reader, "allow", reader.Context);
        var deny = ReadPrefixes(reader, "deny", reader.Context);
        var allowed = allow.Select(a => a.Prefix).ToHashSet();
        foreach (var (prefix, line) in deny)
        {
            if (allowed.Contains(prefix))
            {
                reader.Error(line, $"\"{prefix}\" is in both allow and deny");
            }
        }

        return (allow.Select(a => a.Prefix).ToList(), deny.Select(d => d.Prefix).ToList());
    }

    /// <param name="agentPortLines">The lines of the backends' <c>agent_port</c> keys, for errors once <c>[tenant.feedback]</c> is read.</param>
    private List<BackendConfig> BindBackends(ConfigTableReader tenant, out List<int> agentPortLines)
    {
        agentPortLines = [];
        if (tenant.TableArray("backend", "[[tenant.backend]]") is not { } tables)
        {
            return [];
        }

        if (tables.Count == 0)
        {
            tenant.Error(tenant.Line, "no backends (add at least one [[tenant.backend]])");
            return [];
        }

        var backends = new List<BackendConfig>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < tables.Count; i++)
        {
            var reader = new ConfigTableReader(tables[i], $"{tenant.Context} backend #{i + 1}", _diagnostics);
            var address = reader.RequiredString("address");
            if (address is { } a)
            {
                reader.Context = $"{tenant.Context} backend \"{a.Value}\"";
            }

            var weight = reader.Int("weight", 1, min: 1);
            var maxConnections = reader.Int("max_connections", 0, min: 0);
            var agentPort = ReadPort(reader, "agent_port");
            if (reader.Has("agent_port"))
            {
                agentPortLines.Add(reader.KeyLine("agent_port"));
            }

            reader.ReportUnknownKeys();
            if (address is not { } text || ResolveBackend(tenant, text) is not { } resolved)
            {
                continue;
            }

            if (!seen.TryAdd(resolved.Identity, text.Line))
            {
                tenant.Error(text.Line, $"backend \"{text.Value}\" is listed twice (first {_diagnostics.Refer(seen[resolved.Identity], text.Line)})");
                continue;
            }

            backends.Add(new BackendConfig
            {
                Address = text.Value,
                EndPoint = resolved.EndPoint,
                Host = resolved.Host,
                Port = resolved.Port,
                ResolveError = resolved.Error,
                Weight = weight,
                MaxConnections = maxConnections,
                AgentPort = agentPort,
            });
        }

        return backends;
    }

    /// <summary>
    /// An IP literal as is; a host name through DNS, preferring IPv4 (dual-stack hosts often publish an
    /// AAAA the backend does not listen on). Identity is the canonical literal, or the lower-cased host,
    /// so <c>10.0.0.1:443</c> twice is caught but two names that happen to share an address are not
    /// (that would make a reload depend on DNS answers). A name that does not resolve is a warning, not an
    /// error (issue 17): one missing DNS record must not stop a start or a reload of every other tenant, so
    /// the backend starts down and the health monitor looks it up again.
    /// </summary>
    private (IPEndPoint? EndPoint, string Identity, string? Host, int Port, string? Error)? ResolveBackend(ConfigTableReader tenant, LocatedString text)
    {
        if (!EndPointParser.TryParseBackend(text.Value, out var host, out var port, out var literal, out var error))
        {
            tenant.Error(text.Line, $"backend address {error}");
            return null;
        }

        if (literal is not null)
        {
            var endPoint = new IPEndPoint(literal, port);
            return (endPoint, endPoint.ToString(), null, port, null);
        }

        if (!_resolved.TryGetValue(host, out var resolution))
        {
            resolution = Resolve(host);
            _resolved[host] = resolution;
        }

        var (address, resolveError) = resolution;
        if (address is null)
        {
            _diagnostics.Warn(text.Line, $"{tenant.Context}: backend address \"{text.Value}\" cannot be resolved ({resolveError}): " +
                $"it starts down (check_status DNS) and is looked up again every {DurationParser.Format(_resolveInterval)} and in every health check round");
        }

        return (address is null ? null : new IPEndPoint(address, port), $"{host.ToLowerInvariant()}:{port}", host, port, resolveError);
    }

    private (IPAddress? Address, string? Error) Resolve(string host)
    {
        try
        {
            var address = PreferredAddress(_resolveHost(host));
            return address is null ? (null, NoAddress) : (address, null);
        }
        catch (Exception e) when (e is SocketException or ArgumentException or TimeoutException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>IPv4 first: dual-stack hosts often publish an AAAA the backend does not listen on.</summary>
    internal static IPAddress? PreferredAddress(IPAddress[] addresses) =>
        addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
}
