using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

/// <summary><c>balance = "maglev"</c> and its keys: <c>hash_key</c>, <c>hash_table_size</c>, <c>hash_balance_factor</c>.</summary>
public class ConfigLoaderMaglevTests
{
    [Fact]
    public void Maglev_with_defaults()
    {
        var tenant = Load("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).FindTenant("acme")!;

        Assert.Equal(BalanceAlgorithm.Maglev, tenant.Balance);
        Assert.Equal(HashKey.ClientIp, tenant.HashKey);
        Assert.Equal(65_537, tenant.HashTableSize);
        Assert.Equal(0, tenant.HashBalanceFactor);
    }

    [Fact]
    public void Maglev_with_every_key_set()
    {
        var config = Load("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_key = "sni"
            hash_table_size = 655373
            hash_balance_factor = 150
            [[tenant.backend]]
            address = "10.1.0.11:443"
            weight = 3
            [[tenant.backend]]
            address = "10.1.0.12:443"
            """);
        var tenant = config.FindTenant("acme")!;

        Assert.Equal(HashKey.Sni, tenant.HashKey);
        Assert.Equal(655_373, tenant.HashTableSize);
        Assert.Equal(150, tenant.HashBalanceFactor);
        Assert.Contains("  balance=maglev hash_key=sni hash_table_size=655373 hash_balance_factor=150 retries=2 proxy_protocol=off\n", ConfigSummary.Format(config));
    }

    [Fact]
    public void The_summary_says_when_bounded_load_is_off()
    {
        var config = Load("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Contains("  balance=maglev hash_key=client_ip hash_table_size=65537 hash_balance_factor=off retries=2", ConfigSummary.Format(config));
    }

    [Fact]
    public void Hash_keys_without_maglev_are_errors()
    {
        var errors = Errors("""
            [[tenant]]
            name = "acme"
            balance = "least_connections"
            hash_key = "sni"
            hash_table_size = 65537
            hash_balance_factor = 150
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """);

        Assert.Equal(
        [
            new ConfigError(FileName, 4, "tenant \"acme\": hash_key applies only to balance = \"maglev\""),
            new ConfigError(FileName, 5, "tenant \"acme\": hash_table_size applies only to balance = \"maglev\""),
            new ConfigError(FileName, 6, "tenant \"acme\": hash_balance_factor applies only to balance = \"maglev\""),
        ], errors);
    }

    [Fact]
    public void A_hash_key_under_the_default_balance_is_an_error_too() =>
        AssertError("""
            [[tenant]]
            name = "acme"
            hash_key = "client_ip"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 3, "tenant \"acme\": hash_key applies only to balance = \"maglev\"");

    [Fact]
    public void An_unknown_hash_key() =>
        AssertError("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_key = "source_port"
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 4, "tenant \"acme\": hash_key must be \"client_ip\" or \"sni\" (got \"source_port\")");

    [Theory]
    [InlineData(65_536, "hash_table_size must be a prime (got 65536; the nearest primes are 65521 and 65537)")]
    [InlineData(1_000_000, "hash_table_size must be a prime (got 1000000; the nearest primes are 999983 and 1000003)")]
    [InlineData(13, "hash_table_size must be a prime from 17 to 1000003 (got 13)")]
    [InlineData(1_000_033, "hash_table_size must be a prime from 17 to 1000003 (got 1000033)")]
    [InlineData(0, "hash_table_size must be a prime from 17 to 1000003 (got 0)")]
    public void A_table_size_that_is_not_a_prime_in_range(int size, string message) =>
        AssertError($"""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_table_size = {size}
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 4, $"tenant \"acme\": {message}");

    [Fact]
    public void A_table_too_small_for_its_backends()
    {
        // 3 backends need 30 entries; 29 is a prime in range but too small.
        AssertError("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_table_size = 29
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            [[tenant.backend]]
            address = "10.1.0.13:443"
            """, 4, "tenant \"acme\": hash_table_size 29 is too small for 3 backends: it must be at least 10 entries per backend (30); 100 per backend keeps each backend's share within about 1 % of its weight");

        Assert.Equal(31, Load("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_table_size = 31
            [[tenant.backend]]
            address = "10.1.0.11:443"
            [[tenant.backend]]
            address = "10.1.0.12:443"
            [[tenant.backend]]
            address = "10.1.0.13:443"
            """).FindTenant("acme")!.HashTableSize);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void A_balance_factor_of_100_or_less_is_refused(int factor) =>
        AssertError($"""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_balance_factor = {factor}
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 4, $"tenant \"acme\": hash_balance_factor must be 0 (off) or greater than 100, a percentage of the average load (got {factor})");

    [Fact]
    public void A_negative_balance_factor_is_refused() =>
        AssertError("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_balance_factor = -5
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """, 4, "tenant \"acme\": hash_balance_factor must be >= 0 (got -5)");

    [Fact]
    public void A_balance_factor_of_0_is_off() =>
        Assert.Equal(0, Load("""
            [[tenant]]
            name = "acme"
            balance = "maglev"
            hash_balance_factor = 0
            [[tenant.backend]]
            address = "10.1.0.11:443"
            """).FindTenant("acme")!.HashBalanceFactor);
}
