namespace L4Balancer.Core.Config;

/// <summary>The <c>[cluster]</c> table.</summary>
internal sealed partial class ConfigBinder
{
    private static readonly TimeSpan MinSyncInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxSyncInterval = TimeSpan.FromSeconds(60);

    private ClusterConfig? BindCluster(TomlSourceTable table)
    {
        var reader = new ConfigTableReader(table, "cluster", _diagnostics);
        var redis = reader.RequiredString("redis");
        var passwordText = reader.String("password");
        var tls = reader.Bool("tls", false);
        var instanceText = reader.String("instance");
        var defaults = new ClusterConfig { Redis = "", Instance = "" };
        var interval = reader.Duration("sync_interval", defaults.SyncInterval, allowZero: false);
        var policy = reader.Choice("on_redis_down", RedisDownPolicy.LocalShare,
            ("local_share", RedisDownPolicy.LocalShare),
            ("open", RedisDownPolicy.Open),
            ("closed", RedisDownPolicy.Closed)) ?? RedisDownPolicy.LocalShare;
        var prefix = reader.String("key_prefix");
        reader.ReportUnknownKeys();

        var ok = true;
        if (redis is { } r && !EndPointParser.TryParseBackend(r.Value, out _, out _, out _, out var error))
        {
            reader.Error(r.Line, $"redis {error}");
            ok = false;
        }

        if (interval < MinSyncInterval || interval > MaxSyncInterval)
        {
            reader.Error(reader.KeyLine("sync_interval"), $"sync_interval must be between {MinSyncInterval.TotalMilliseconds:0}ms and {MaxSyncInterval.TotalSeconds:0}s");
            ok = false;
        }

        // The instance name is part of a Redis member id ("name#random") and shown on dashboards.
        var instance = instanceText?.Value ?? DefaultInstanceName();
        if (!IsInstanceName(instance))
        {
            reader.Error(instanceText?.Line ?? reader.Line, $"instance \"{instance}\" must be 1-64 letters, digits, '.', '_' or '-'");
            ok = false;
        }

        if (prefix is { } p && (p.Value.Length is 0 or > 64 || p.Value.Any(char.IsWhiteSpace)))
        {
            reader.Error(p.Line, "key_prefix must be 1-64 characters without spaces");
            ok = false;
        }

        string? password = null;
        if (passwordText is { } pw && (password = ResolveSecret(reader, pw, "password")) is null)
        {
            ok = false;
        }

        return ok && redis is { } address
            ? new ClusterConfig
            {
                Redis = address.Value,
                Password = password,
                Tls = tls,
                Instance = instance,
                SyncInterval = interval,
                OnRedisDown = policy,
                KeyPrefix = prefix?.Value ?? defaults.KeyPrefix,
            }
            : null;
    }

    private static string DefaultInstanceName()
    {
        var host = Environment.MachineName;
        var name = new string([.. host.Where(IsNameChar)]);
        return name.Length is > 0 and <= 64 ? name : "l4balancer";
    }

    private static bool IsInstanceName(string name) =>
        name.Length is > 0 and <= 64 && name.All(IsNameChar);
}
