using System.Net;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Runtime;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.TestSupport.Tls;

namespace L4Balancer.IntegrationTests.Balancing;

/// <summary>
/// <c>balance = "maglev"</c> through real balancers: clients bound to distinct source addresses of
/// 127.0.0.0/8 (Linux routes all of it to lo), backends that answer with their own name.
/// </summary>
public class MaglevTests
{
    private const int Parallel = 32;

    private static IPAddress Source(int i) => new([127, 1, (byte)(i / 250), (byte)(i % 250 + 1)]);

    private static TenantConfig Maglev(TenantConfig tenant, HashKey key = HashKey.ClientIp) =>
        tenant with { Balance = BalanceAlgorithm.Maglev, HashKey = key };

    private static TestBackend[] Backends(int count) => Enumerable.Range(1, count).Select(i => TestBackend.Named($"b{i}")).ToArray();

    /// <summary>Connects once from each source address and returns the name of the backend that answered.</summary>
    private static async Task<string[]> RouteAsync(BalancerHarness balancer, int clients, CancellationToken token, Func<int, byte[]>? hello = null)
    {
        var answers = new string[clients];
        using var gate = new SemaphoreSlim(Parallel);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            await gate.WaitAsync(token);
            try
            {
                using var socket = await SocketExtensions.ConnectToAsync(balancer.EndPoint(), Source(i), token);
                if (hello is not null)
                {
                    await socket.SendAllAsync(hello(i), token);
                }

                answers[i] = await socket.ReadLineAsync(token);
            }
            finally
            {
                gate.Release();
            }
        }));
        return answers;
    }

    /// <summary>What the policy computes for each client, by backend name: what every instance must agree with.</summary>
    private static string[] Expected(TestBackend[] backends, int clients, Func<int, PickContext> key, HashKey hashKey = HashKey.ClientIp)
    {
        var configs = backends.Select(b => TestConfigs.Backend(b)).ToArray();
        var policy = new MaglevPolicy(configs, hashKey, MaglevTableSize.Default, 0);
        var states = configs.Select(c => new BackendState("t", c)).ToArray();
        return Enumerable.Range(0, clients)
            .Select(i => policy.Pick(states, [], key(i))!.EndPoint)
            .Select(endPoint => $"b{Array.FindIndex(backends, b => b.EndPoint.Equals(endPoint)) + 1}")
            .ToArray();
    }

    [Fact]
    public async Task Three_instances_route_1000_client_addresses_identically()
    {
        const int clients = 1000;
        var backends = Backends(5);
        try
        {
            // Same backends and weights; the third instance's config lists them in the opposite order.
            var config = TestConfigs.PortRouted(backends.Select(b => TestConfigs.Backend(b)), t => Maglev(t));
            var reversed = TestConfigs.PortRouted(backends.Reverse().Select(b => TestConfigs.Backend(b)), t => Maglev(t));
            await using var one = await BalancerHarness.StartAsync(config);
            await using var two = await BalancerHarness.StartAsync(config);
            await using var three = await BalancerHarness.StartAsync(reversed);
            var token = Deadline.After(TimeSpan.FromSeconds(60));

            var first = await RouteAsync(one, clients, token);
            var second = await RouteAsync(two, clients, token);
            var third = await RouteAsync(three, clients, token);

            Assert.Equal(first, second);
            Assert.Equal(first, third);
            Assert.Equal(Expected(backends, clients, i => new PickContext(Source(i), null)), first);

            // All five in use, each near its fifth (200 expected; sampling noise of 1 000 keys).
            Assert.All(first.GroupBy(n => n), g => Assert.InRange(g.Count(), 130, 270));
            Assert.Equal(5, first.Distinct().Count());

            // And again through the first instance: a client keeps its backend.
            Assert.Equal(first, await RouteAsync(one, clients, token));
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Draining_a_backend_moves_its_clients_and_no_others()
    {
        const int clients = 300;
        var backends = Backends(4);
        try
        {
            await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backends.Select(b => TestConfigs.Backend(b)), t => Maglev(t)));
            var token = Deadline.After(TimeSpan.FromSeconds(60));
            var before = await RouteAsync(balancer, clients, token);

            Assert.Equal(DrainStatus.Applied, balancer.Engine.SetDraining(TestConfigs.TenantName, backends[1].Address, draining: true).Status);
            var during = await RouteAsync(balancer, clients, token);

            for (var i = 0; i < clients; i++)
            {
                if (before[i] == "b2")
                {
                    Assert.NotEqual("b2", during[i]);
                }
                else
                {
                    Assert.Equal(before[i], during[i]);
                }
            }

            Assert.Contains("b2", before);
            Assert.Equal(3, during.Distinct().Count()); // b2's clients went to all three others, not one

            Assert.Equal(DrainStatus.Applied, balancer.Engine.SetDraining(TestConfigs.TenantName, backends[1].Address, draining: false).Status);
            Assert.Equal(before, await RouteAsync(balancer, clients, token));
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Hash_key_sni_sends_a_name_to_one_backend_from_any_client()
    {
        const int names = 40;
        const int clientsPerName = 5;
        var backends = Backends(4);
        try
        {
            var config = new BalancerConfig
            {
                Listeners = [new ListenerConfig { Name = TestConfigs.ListenerName, Bind = new IPEndPoint(IPAddress.Loopback, 0), Route = RouteMode.Sni }],
                Tenants =
                [
                    new TenantConfig
                    {
                        Name = TestConfigs.TenantName,
                        Sni = ["*.shards.example"],
                        Balance = BalanceAlgorithm.Maglev,
                        HashKey = HashKey.Sni,
                        Backends = backends.Select(b => TestConfigs.Backend(b)).ToArray(),
                    },
                ],
            };
            await using var balancer = await BalancerHarness.StartAsync(config);
            var token = Deadline.After(TimeSpan.FromSeconds(60));

            // Client i sends name i % 40, so each name comes from five different addresses.
            static string Name(int i) => $"h{i % names}.shards.example";
            var answers = await RouteAsync(balancer, names * clientsPerName, token, i =>
            {
                var hello = new ClientHelloBuilder();
                hello.ServerNames.Clear();
                hello.ServerNames.Add(Name(i));
                return hello.Build();
            });

            foreach (var group in Enumerable.Range(0, names * clientsPerName).GroupBy(i => i % names))
            {
                Assert.Single(group.Select(i => answers[i]).Distinct());
            }

            Assert.True(answers.Distinct().Count() >= 3, "40 names should spread over the backends");
            Assert.Equal(Expected(backends, names * clientsPerName, i => new PickContext(Source(i), Name(i)), HashKey.Sni), answers);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }
}
