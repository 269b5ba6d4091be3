using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

/// <summary>balancer.toml.example at the repository root is documentation; these keep it true.</summary>
public class BalancerExampleTests
{
    [Fact]
    public void The_shipped_example_is_valid_and_complete()
    {
        var path = Path.Combine(FindRepositoryRoot(), "balancer.toml.example");

        var result = ConfigLoader.LoadFile(path);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var config = result.Config;
        Assert.Equal(["acme", "beta", "shards"], config.Tenants.Select(t => t.Name));
        Assert.Equal(BalanceAlgorithm.Maglev, config.FindTenant("shards")!.Balance);
        Assert.Equal(["public-tls", "beta-plain", "behind-nlb"], config.Listeners.Select(l => l.Name));
        Assert.True(config.Listeners[2].AcceptProxy);
        Assert.Equal(["10.0.0.0/24"], config.Listeners[2].TrustedProxies.Select(p => p.ToString()));
        Assert.Equal([AdminScope.Read, AdminScope.Operate], config.Admin!.Tokens.Select(t => t.Scope));
        Assert.NotNull(config.FindTenant("acme")!.Health);
        Assert.Equal(FeedbackSource.Agent, config.FindTenant("acme")!.Feedback!.Source);
        Assert.Equal(5556, config.FindTenant("acme")!.Backends[1].AgentPort);
        Assert.Equal(2, config.FindTenant("beta")!.Feedback!.Load.Count);
        Assert.Equal(511, config.Global.Backlog);
    }

    [Fact]
    public void The_shipped_example_mentions_every_key_the_loader_reads()
    {
        var example = File.ReadAllText(Path.Combine(FindRepositoryRoot(), "balancer.toml.example"));
        string[] keys =
        [
            "max_connections", "max_connections_per_ip", "max_pending_handshakes", "max_pending_handshakes_per_ip", "connect_timeout", "idle_timeout", "client_hello_timeout",
            "drain_timeout", "backlog", "access_log", "log_level", "transport", "threads", "deny", "listen", "token", "scope", "name", "bind", "route", "tenant", "accept_proxy", "trusted_proxies", "sni", "allow",
            "connection_rate", "connection_burst", "bandwidth", "proxy_protocol", "balance", "retries", "interval",
            "timeout", "rise", "fall", "address", "weight", "hash_key", "hash_table_size", "hash_balance_factor",
            "source", "stale_after", "agent_port", "agent_send", "metrics_url", "insecure", "metric", "labels",
        ];

        Assert.All(keys, key => Assert.Matches($@"(?m)^{key} = ", example));
    }

    [Fact]
    public void The_commented_cluster_table_is_valid_once_uncommented_and_names_every_cluster_key()
    {
        var path = Path.Combine(FindRepositoryRoot(), "balancer.toml.example");
        var lines = File.ReadAllLines(path);
        var start = Array.FindIndex(lines, l => l == "#[cluster]");
        Assert.True(start > 0, "the example shows a commented [cluster] table");
        var table = lines.Skip(start).TakeWhile(l => l.StartsWith('#')).Select(l => l[1..]).ToArray();
        foreach (var key in new[] { "redis", "password", "tls", "instance", "sync_interval", "on_redis_down", "key_prefix" })
        {
            Assert.Contains(table, l => l.StartsWith(key + " = ", StringComparison.Ordinal));
        }

        Environment.SetEnvironmentVariable("L4B_REDIS_PASSWORD", "example");
        var text = File.ReadAllText(path).Replace(string.Join("\n", lines.Skip(start).Take(table.Length)), string.Join("\n", table), StringComparison.Ordinal);
        var result = ConfigLoader.Parse(text, path, _ => [System.Net.IPAddress.Loopback]);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("lb-eu-1", result.Config.Cluster!.Instance);
        Assert.Equal(RedisDownPolicy.LocalShare, result.Config.Cluster.OnRedisDown);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "L4Balancer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"L4Balancer.sln not found above {AppContext.BaseDirectory}");
    }
}
