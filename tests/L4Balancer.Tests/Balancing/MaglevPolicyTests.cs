using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Balancing;

public class MaglevPolicyTests
{
    private static readonly IReadOnlyCollection<BackendState> None = [];

    private static BackendConfig Config(int i, int weight = 1, int max = 0) => new()
    {
        Address = $"10.1.0.{i}:443",
        EndPoint = new IPEndPoint(IPAddress.Parse($"10.1.0.{i}"), 443),
        Weight = weight,
        MaxConnections = max,
    };

    private static (MaglevPolicy Policy, BackendState[] Backends) Tenant(IReadOnlyList<BackendConfig> configs, HashKey key = HashKey.ClientIp, int factor = 0)
    {
        var policy = new MaglevPolicy(configs, key, MaglevTableSize.Default, factor);
        return (policy, configs.Select(c => new BackendState("t", c)).ToArray());
    }

    private static PickContext Client(int i) =>
        new(new IPAddress([(byte)(100 + (i >> 16 & 0x3f)), (byte)(i >> 8), (byte)i, 7]), null);

    private static string[] Map(MaglevPolicy policy, BackendState[] backends, int keys) =>
        Enumerable.Range(0, keys).Select(i => policy.Pick(backends, None, Client(i))!.Address).ToArray();

    [Fact]
    public void A_client_goes_to_the_same_backend_every_time_and_in_every_instance()
    {
        var configs = Enumerable.Range(1, 6).Select(i => Config(i)).ToArray();
        var (one, backendsOne) = Tenant(configs);

        // Another instance whose config lists the backends in another order.
        var (two, backendsTwo) = Tenant(configs.Reverse().ToArray());

        var first = Map(one, backendsOne, 5000);
        Assert.Equal(first, Map(one, backendsOne, 5000));
        Assert.Equal(first, Map(two, backendsTwo, 5000));
        Assert.Equal(6, first.Distinct().Count());
    }

    [Fact]
    public void Weights_are_honoured()
    {
        var (policy, backends) = Tenant([Config(1, weight: 1), Config(2, weight: 2), Config(3, weight: 5)]);

        var counts = Map(policy, backends, 40_000).GroupBy(a => a).ToDictionary(g => g.Key, g => g.Count());

        // 40 000 random keys: expected 5 000 / 10 000 / 25 000; a few percent of sampling noise.
        Assert.InRange(counts["10.1.0.1:443"], 4_600, 5_400);
        Assert.InRange(counts["10.1.0.2:443"], 9_400, 10_600);
        Assert.InRange(counts["10.1.0.3:443"], 24_200, 25_800);
    }

    [Theory]
    [InlineData("down")]
    [InlineData("draining")]
    [InlineData("full")]
    public void An_unavailable_backend_loses_its_own_keys_and_only_those_spread_over_the_others(string how)
    {
        var configs = Enumerable.Range(1, 5).Select(i => Config(i, max: 1)).ToArray();
        var (policy, backends) = Tenant(configs);
        const int keys = 20_000;
        var before = Map(policy, backends, keys);

        var gone = backends[2];
        switch (how)
        {
            case "down": gone.SetUp(false); break;
            case "draining": gone.SetDraining(true); break;
            default: Assert.True(gone.TryAcquire()); break; // at its max_connections of 1
        }

        var after = Map(policy, backends, keys);
        Assert.Equal(after, Map(policy, backends, keys)); // deterministic for the same state

        var movedTo = new Dictionary<string, int>();
        for (var i = 0; i < keys; i++)
        {
            if (before[i] == gone.Address)
            {
                Assert.NotEqual(gone.Address, after[i]);
                movedTo[after[i]] = movedTo.GetValueOrDefault(after[i]) + 1;
            }
            else
            {
                Assert.Equal(before[i], after[i]); // nobody else moves
            }
        }

        // The orphans spread over all four others, roughly evenly (each would get a quarter).
        var orphans = movedTo.Values.Sum();
        Assert.InRange(orphans, keys / 5 * 0.9, keys / 5 * 1.1);
        Assert.Equal(4, movedTo.Count);
        Assert.All(movedTo.Values, n => Assert.InRange(n, orphans / 4 * 0.75, orphans / 4 * 1.25));

        // Back in service: every key returns home.
        switch (how)
        {
            case "down": gone.SetUp(true); break;
            case "draining": gone.SetDraining(false); break;
            default: gone.Release(); break;
        }

        Assert.Equal(before, Map(policy, backends, keys));
    }

    [Fact]
    public void A_retry_excludes_the_backend_tried_and_walks_on_deterministically()
    {
        var (policy, backends) = Tenant(Enumerable.Range(1, 4).Select(i => Config(i)).ToArray());
        var client = Client(42);

        var first = policy.Pick(backends, None, client)!;
        var second = policy.Pick(backends, [first], client)!;
        var third = policy.Pick(backends, [first, second], client)!;

        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
        Assert.Same(second, policy.Pick(backends, [first], client));

        // The same retry order as when the first backend is down.
        first.SetUp(false);
        Assert.Same(second, policy.Pick(backends, None, client));
        Assert.Same(third, policy.Pick(backends, [second], client));
    }

    [Fact]
    public void Nothing_available_is_null()
    {
        var (policy, backends) = Tenant([Config(1), Config(2)]);
        backends[0].SetUp(false);
        backends[1].SetDraining(true);

        Assert.Null(policy.Pick(backends, None, Client(1)));
        Assert.Null(new MaglevPolicy([], HashKey.ClientIp, MaglevTableSize.Default, 0).Pick([], None, Client(1)));
    }

    [Fact]
    public void Bounded_load_moves_a_hot_keys_overflow_and_only_the_overflow()
    {
        var configs = Enumerable.Range(1, 4).Select(i => Config(i)).ToArray();
        var (bounded, backends) = Tenant(configs, factor: 150);
        var hot = Client(7);
        var home = bounded.Pick(backends, None, hot)!;

        // 40 connections from one hot client: without a bound all 40 would land on its backend. With 150 %,
        // a backend takes a connection only while active + 1 <= ceil(1.5 · (total + 1) / 4).
        var landed = new List<BackendState>();
        for (var i = 0; i < 40; i++)
        {
            var total = backends.Sum(b => b.ActiveConnections);
            var picked = bounded.Pick(backends, None, hot)!;
            Assert.True(picked.ActiveConnections + 1 <= Math.Ceiling(1.5 * (total + 1) / 4));
            Assert.True(picked.TryAcquire());
            landed.Add(picked);
        }

        // The key's backend is preferred whenever it is within its bound, so it ends at the bound of the last
        // pick, ceil(1.5 · 40 / 4) = 15; the other 25 overflowed, none past the bound either.
        Assert.Equal(home, landed[0]);
        Assert.Equal(15, home.ActiveConnections);
        Assert.All(backends, b => Assert.InRange(b.ActiveConnections, 0, 15));
        Assert.True(backends.Count(b => b.ActiveConnections > 0) >= 3);

        // The overflow followed the key's walk, the same in an instance with the same state.
        var (twin, twinBackends) = Tenant(configs.Reverse().ToArray(), factor: 150);
        foreach (var b in backends)
        {
            var match = twinBackends.Single(t => t.Address == b.Address);
            for (var i = 0; i < b.ActiveConnections; i++)
            {
                Assert.True(match.TryAcquire());
            }
        }

        Assert.Equal(bounded.Pick(backends, None, hot)!.Address, twin.Pick(twinBackends, None, hot)!.Address);

        // Any other key stays on its own backend while that is within its bound, and leaves it when not.
        // Fill the hot backend past its bound first: 17 of 42 open, and 17 + 1 > ceil(1.5 · 43 / 4) = 17.
        while (home.ActiveConnections < 17)
        {
            Assert.True(home.TryAcquire());
        }

        var (plain, plainBackends) = Tenant(configs);
        var stayed = 0;
        var left = 0;
        for (var i = 0; i < 2000; i++)
        {
            var key = Client(1000 + i);
            var ownAddress = plain.Pick(plainBackends, None, key)!.Address;
            var own = backends.Single(b => b.Address == ownAddress);
            var total = backends.Sum(b => b.ActiveConnections);
            var withinBound = own.ActiveConnections + 1 <= Math.Ceiling(1.5 * (total + 1) / 4);
            var picked = bounded.Pick(backends, None, key)!;
            if (withinBound)
            {
                Assert.Same(own, picked);
                stayed++;
            }
            else
            {
                Assert.NotSame(own, picked);
                left++;
            }
        }

        Assert.True(stayed > 1000 && left > 300, $"stayed {stayed}, left {left}");
    }

    [Fact]
    public void Bounded_load_respects_weights()
    {
        // Weights 3:1, factor 125: a backend's bound is 1.25 · (total + 1) · weight / 4.
        var (policy, backends) = Tenant([Config(1, weight: 3), Config(2, weight: 1)], factor: 125);
        var hot = Client(9);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(policy.Pick(backends, None, hot)!.TryAcquire());
        }

        // ceil(1.25 · 100 · 3/4) = 94 and ceil(1.25 · 100 / 4) = 32 at most; 100 in all, so shares near 3:1.
        Assert.InRange(backends[0].ActiveConnections, 68, 94);
        Assert.InRange(backends[1].ActiveConnections, 6, 32);
    }

    [Fact]
    public void Without_a_bound_a_hot_key_stays_on_its_backend()
    {
        var (policy, backends) = Tenant(Enumerable.Range(1, 4).Select(i => Config(i)).ToArray());
        var hot = Client(7);
        for (var i = 0; i < 40; i++)
        {
            Assert.True(policy.Pick(backends, None, hot)!.TryAcquire());
        }

        Assert.Single(backends, b => b.ActiveConnections == 40);
    }

    [Fact]
    public void Sni_key_follows_the_name_not_the_client()
    {
        var configs = Enumerable.Range(1, 8).Select(i => Config(i)).ToArray();
        var (sni, backends) = Tenant(configs, HashKey.Sni);
        var (byIp, _) = Tenant(configs, HashKey.ClientIp);

        // One name from 500 clients: one backend.
        var picks = Enumerable.Range(0, 500).Select(i => sni.Pick(backends, None, Client(i) with { ServerName = "api.acme.example" })!).Distinct();
        Assert.Single(picks);

        // The name is case-insensitive.
        Assert.Same(
            sni.Pick(backends, None, new PickContext(IPAddress.Loopback, "api.acme.example")),
            sni.Pick(backends, None, new PickContext(IPAddress.Parse("192.0.2.1"), "API.Acme.Example")));

        // 2 000 names spread over all eight backends.
        var names = Enumerable.Range(0, 2000).Select(i => sni.Pick(backends, None, new PickContext(IPAddress.Loopback, $"h{i}.acme.example"))!).ToList();
        Assert.All(backends, b => Assert.InRange(names.Count(n => n == b), 150, 350));

        // No SNI (a port listener, a hello without one): the client's address decides, as with client_ip.
        for (var i = 0; i < 200; i++)
        {
            Assert.Same(byIp.Pick(backends, None, Client(i)), sni.Pick(backends, None, Client(i)));
        }
    }

    [Fact]
    public void An_ipv4_mapped_client_is_the_same_key_as_its_ipv4_address()
    {
        var (policy, _) = Tenant(Enumerable.Range(1, 8).Select(i => Config(i)).ToArray());
        for (var i = 0; i < 100; i++)
        {
            var v4 = Client(i);
            var mapped = v4 with { ClientAddress = v4.ClientAddress!.MapToIPv6() };
            Assert.Equal(policy.KeyHash(v4), policy.KeyHash(mapped));
        }

        Assert.NotEqual(policy.KeyHash(new PickContext(IPAddress.Parse("2001:db8::1"), null)), policy.KeyHash(new PickContext(IPAddress.Parse("2001:db8::2"), null)));
    }
}
