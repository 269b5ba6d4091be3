using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

public class ConfigLoaderClusterTests
{
    [Fact]
    public void Without_a_cluster_table_the_instance_is_on_its_own() =>
        Assert.Null(Load("[global]\n").Cluster);

    [Fact]
    public void A_cluster_table_takes_its_defaults()
    {
        var cluster = Load("[cluster]\nredis = \"127.0.0.1:6379\"\n").Cluster!;

        Assert.Equal("127.0.0.1:6379", cluster.Redis);
        Assert.Null(cluster.Password);
        Assert.False(cluster.Tls);
        Assert.False(string.IsNullOrEmpty(cluster.Instance));
        Assert.Equal(TimeSpan.FromSeconds(1), cluster.SyncInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), cluster.LeaseTtl);
        Assert.Equal(RedisDownPolicy.LocalShare, cluster.OnRedisDown);
        Assert.Equal("l4b:", cluster.KeyPrefix);
    }

    [Fact]
    public void Every_cluster_key_is_read()
    {
        Environment.SetEnvironmentVariable("L4B_TEST_REDIS_PASSWORD", "s3cret");
        var cluster = Load("""
            [cluster]
            redis = "redis.internal:6380"
            password = "env:L4B_TEST_REDIS_PASSWORD"
            tls = true
            instance = "lb-eu-1"
            sync_interval = "250ms"
            on_redis_down = "closed"
            key_prefix = "fleet-a:"
            """).Cluster!;

        Assert.Equal("redis.internal:6380", cluster.Redis);
        Assert.Equal("s3cret", cluster.Password);
        Assert.True(cluster.Tls);
        Assert.Equal("lb-eu-1", cluster.Instance);
        Assert.Equal(TimeSpan.FromMilliseconds(250), cluster.SyncInterval);
        Assert.Equal(RedisDownPolicy.Closed, cluster.OnRedisDown);
        Assert.Equal("fleet-a:", cluster.KeyPrefix);
    }

    [Theory]
    [InlineData("local_share", "LocalShare")]
    [InlineData("open", "Open")]
    [InlineData("closed", "Closed")]
    public void Each_redis_down_policy_is_read(string text, string policy) =>
        Assert.Equal(Enum.Parse<RedisDownPolicy>(policy), Load($"[cluster]\nredis = \"127.0.0.1:6379\"\non_redis_down = \"{text}\"\n").Cluster!.OnRedisDown);

    [Fact]
    public void Redis_is_required() =>
        AssertError("[cluster]\ninstance = \"a\"\n", 1, "cluster: redis is required");

    [Fact]
    public void Redis_must_be_host_and_port() =>
        Assert.Contains(Errors("[cluster]\nredis = \"127.0.0.1\"\n"), e => e.Line == 2 && e.Message.StartsWith("cluster: redis ", StringComparison.Ordinal));

    [Fact]
    public void An_unknown_policy_names_the_choices() =>
        AssertError("[cluster]\nredis = \"127.0.0.1:6379\"\non_redis_down = \"panic\"\n", 3, "cluster: on_redis_down must be \"local_share\", \"open\" or \"closed\" (got \"panic\")");

    [Theory]
    [InlineData("10ms")]
    [InlineData("2m")]
    public void A_sync_interval_out_of_bounds_is_refused(string interval) =>
        AssertError($"[cluster]\nredis = \"127.0.0.1:6379\"\nsync_interval = \"{interval}\"\n", 3, "cluster: sync_interval must be between 50ms and 60s");

    [Theory]
    [InlineData("has space")]
    [InlineData("a#b")]
    [InlineData("")]
    public void An_instance_name_with_characters_outside_the_rule_is_refused(string name) =>
        AssertError($"[cluster]\nredis = \"127.0.0.1:6379\"\ninstance = \"{name}\"\n", 3, $"cluster: instance \"{name}\" must be 1-64 letters, digits, '.', '_' or '-'");

    [Fact]
    public void A_password_from_an_unset_variable_is_an_error() =>
        AssertError("[cluster]\nredis = \"127.0.0.1:6379\"\npassword = \"env:L4B_TEST_UNSET_REDIS_PASSWORD\"\n", 3, "cluster: password: environment variable \"L4B_TEST_UNSET_REDIS_PASSWORD\" is not set");

    [Fact]
    public void An_unknown_key_is_an_error() =>
        AssertError("[cluster]\nredis = \"127.0.0.1:6379\"\nsentinel = true\n", 3, "cluster: unknown key \"sentinel\"");
}
