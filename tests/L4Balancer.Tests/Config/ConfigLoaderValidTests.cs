using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Net;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

public class ConfigLoaderValidTests
{
    [Fact]
    public void Full_config_round_trips_every_value()
    {
        var config = Load("""
            [global]
            max_connections = 50000
            max_connections_per_ip = 100
            max_pending_handshakes = 2000
            max_pending_handshakes_per_ip = 16
            connect_timeout = "250ms"
            idle_timeout = "15m"
            client_hello_timeout = "1.5s"
            drain_timeout = "1h"
            backlog = 1024
            access_log = false
            log_level = "debug"
            deny = ["203.0.113.0/24", "2001:db8:dead::/48"]

            [admin]
            listen = "127.0.0.1:9900"
            token = "s3cret"

            [[listener]]
            name = "public-tls"
            bind = "0.0.0.0:8443"
            route = "sni"
            tenant = "acme"

            [[listener]]
            name = "plain"
            bind = "[::]:8080"
            route = "port"
            tenant = "beta"

            [[tenant]]
            name = "acme"
            sni = ["LLM.Acme.Example.", "*.acme.example"]
            allow = ["10.0.0.0/8", "2001:db8::/32"]
            deny = ["10.6.6.0/24"]
            max_connections = 1000
            connection_rate = 200
            connection_burst = 400
            bandwidth = "100MB/s"
            proxy_protocol = "v1"
            balance = "power_of_two"
            retries = 5

            [tenant.health]
            interval = "10s"
            timeout = "500ms"
            rise = 4
            fall = 6

            [[tenant.backend]]
            address = "10.1.0.11:443"
            weight = 3
            max_connections = 50

            [[tenant.backend]]
            address = "api.internal:8443"

            [[tenant]]
            name = "beta"
            connection_rate = 10
            bandwidth = 1048576
            proxy_protocol = "v2"
            balance = "round_robin"

            [[tenant.backend]]
            address = "[2001:db8::1]:443"

            [[tenant.backend]]
            address = "dual.internal:443"
            """);

        var global = config.Global;
        Assert.Equal(50000, global.MaxConnections);
        Assert.Equal(100, global.MaxConnectionsPerIp);
        Assert.Equal(2000, global.MaxPendingHandshakes);
        Assert.Equal(16, global.MaxPendingHandshakesPerIp);
        Assert.Equal(TimeSpan.FromMilliseconds(250), global.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(15), global.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1.5), global.ClientHelloTimeout);
        Assert.Equal(TimeSpan.FromHours(1), global.DrainTimeout);
        Assert.False(global.AccessLog);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, global.LogLevel);
        Assert.Equal(1024, global.Backlog);
        Assert.Equal(new[] { IpPrefix.Parse("203.0.113.0/24"), IpPrefix.Parse("2001:db8:dead::/48") }, global.Deny);

        Assert.NotNull(config.Admin);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9900), config.Admin.Listen);
        Assert.Equal("s3cret", config.Admin.Token);

        Assert.Collection(config.Listeners,
            l =>
            {
                Assert.Equal("public-tls", l.Name);
                Assert.Equal(new IPEndPoint(IPAddress.Any, 8443), l.Bind);
                Assert.Equal(RouteMode.Sni, l.Route);
                Assert.Equal("acme", l.Tenant);
            },
            l =>
            {
                Assert.Equal("plain", l.Name);
                Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 8080), l.Bind);
                Assert.Equal(RouteMode.Port, l.Route);
                Assert.Equal("beta", l.Tenant);
            });

        Assert.Equal(2, config.Tenants.Count);
        var acme = config.FindTenant("acme");
        Assert.NotNull(acme);
        Assert.Equal(new[] { "llm.acme.example", "*.acme.example" }, acme.Sni);
        Assert.Equal(new[] { IpPrefix.Parse("10.0.0.0/8"), IpPrefix.Parse("2001:db8::/32") }, acme.Allow);
        Assert.Equal(new[] { IpPrefix.Parse("10.6.6.0/24") }, acme.Deny);
        Assert.Equal(1000, acme.MaxConnections);
        Assert.Equal(200, acme.ConnectionRate);
        Assert.Equal(400, acme.ConnectionBurst);
        Assert.Equal(100_000_000, acme.Bandwidth);
        Assert.Equal(ProxyProtocolMode.V1, acme.ProxyProtocol);
        Assert.Equal(BalanceAlgorithm.PowerOfTwo, acme.Balance);
        Assert.Equal(5, acme.Retries);
        Assert.Equal(new HealthConfig { Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromMilliseconds(500), Rise = 4, Fall = 6 }, acme.Health);
        Assert.Collection(acme.Backends,
            b => Assert.Equal(new BackendConfig { Address = "10.1.0.11:443", EndPoint = IPEndPoint.Parse("10.1.0.11:443"), Port = 443, Weight = 3, MaxConnections = 50 }, b),
            b => Assert.Equal(new BackendConfig { Address = "api.internal:8443", EndPoint = IPEndPoint.Parse("10.9.0.1:8443"), Host = "api.internal", Port = 8443 }, b));

        var beta = config.FindTenant("beta");
        Assert.NotNull(beta);
        Assert.Empty(beta.Sni);
        Assert.Empty(beta.Allow);
        Assert.Equal(10, beta.ConnectionRate);
        Assert.Equal(10, beta.ConnectionBurst);
        Assert.Equal(1_048_576, beta.Bandwidth);
        Assert.Equal(ProxyProtocolMode.V2, beta.ProxyProtocol);
        Assert.Equal(BalanceAlgorithm.RoundRobin, beta.Balance);
        Assert.Null(beta.Health);
        Assert.Collection(beta.Backends,
            b => Assert.Equal(IPEndPoint.Parse("[2001:db8::1]:443"), b.EndPoint),
            // A host with both families resolves to its IPv4 address.
            b => Assert.Equal(IPEndPoint.Parse("10.9.0.2:443"), b.EndPoint));
    }

    [Fact]
    public void Absent_keys_take_the_documented_defaults()
    {
        var config = Load("""
            [[listener]]
            name = "plain"
            bind = "127.0.0.1:0"
            tenant = "acme"

            [[tenant]]
            name = "acme"
            connection_rate = 50

            [tenant.health]

            [[tenant.backend]]
            address = "127.0.0.1:9001"
            """);

        Assert.Equal(new GlobalConfig(), config.Global);
        Assert.Equal(0, config.Global.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Global.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(30), config.Global.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Global.ClientHelloTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Global.DrainTimeout);
        Assert.True(config.Global.AccessLog); // SPEC: one record per finished connection, unless turned off
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, config.Global.LogLevel);
        Assert.Equal(511, config.Global.Backlog);
        Assert.Equal(4096, config.Global.MaxPendingHandshakes);
        Assert.Equal(64, config.Global.MaxPendingHandshakesPerIp);
        Assert.Empty(config.Global.Deny);
        Assert.Null(config.Admin);

        var listener = Assert.Single(config.Listeners);
        Assert.Equal(RouteMode.Port, listener.Route);
        Assert.Equal(0, listener.Bind.Port);

        var tenant = Assert.Single(config.Tenants);
        Assert.Equal(0, tenant.MaxConnections);
        Assert.Equal(50, tenant.ConnectionRate);
        Assert.Equal(50, tenant.ConnectionBurst);
        Assert.Equal(0, tenant.Bandwidth);
        Assert.Equal(ProxyProtocolMode.Off, tenant.ProxyProtocol);
        Assert.Equal(BalanceAlgorithm.LeastConnections, tenant.Balance);
        Assert.Equal(2, tenant.Retries);
        Assert.NotNull(tenant.Health);
        Assert.Equal(TimeSpan.FromSeconds(5), tenant.Health.Interval);
        Assert.Equal(TimeSpan.FromSeconds(2), tenant.Health.Timeout);
        Assert.Equal(2, tenant.Health.Rise);
        Assert.Equal(3, tenant.Health.Fall);
        var backend = Assert.Single(tenant.Backends);
        Assert.Equal(1, backend.Weight);
        Assert.Equal(0, backend.MaxConnections);
    }

    [Fact]
    public void Inline_tables_and_dotted_keys_mean_the_same_as_headers()
    {
        var config = Load("""
            global.max_connections = 10
            [[tenant]]
            name = "acme"
            health = { interval = "1s", rise = 1 }
            backend = [
              { address = "127.0.0.1:9001", weight = 2 },
              { address = "127.0.0.1:9002" },
            ]
            [[tenant]]
            name = "beta"
            health.fall = 7
            [[tenant.backend]]
            address = "localhost:9003"
            """);

        Assert.Equal(10, config.Global.MaxConnections);
        var acme = config.Tenants[0];
        Assert.Equal(TimeSpan.FromSeconds(1), acme.Health!.Interval);
        Assert.Equal(1, acme.Health.Rise);
        Assert.Equal(new[] { 2, 1 }, acme.Backends.Select(b => b.Weight));
        Assert.Equal(7, config.Tenants[1].Health!.Fall);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9003"), config.Tenants[1].Backends[0].EndPoint);
    }

    [Fact]
    public void Listeners_on_port_zero_never_clash()
    {
        var config = Load("""
            [[listener]]
            name = "a"
            bind = "127.0.0.1:0"
            tenant = "acme"
            [[listener]]
            name = "b"
            bind = "127.0.0.1:0"
            tenant = "acme"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "127.0.0.1:9001"
            """);

        Assert.Equal(2, config.Listeners.Count);
    }

    [Fact]
    public void The_same_sni_name_in_two_tenants_is_allowed_without_an_sni_listener()
    {
        var config = Load("""
            [[listener]]
            name = "by-port"
            bind = "127.0.0.1:0"
            tenant = "acme"
            [[tenant]]
            name = "acme"
            sni = ["llm.acme.example"]
            [[tenant.backend]]
            address = "127.0.0.1:9001"
            [[tenant]]
            name = "beta"
            sni = ["llm.acme.example"]
            [[tenant.backend]]
            address = "127.0.0.1:9002"
            """);

        Assert.Equal(2, config.Tenants.Count);
    }

    [Fact]
    public void Localhost_resolves_with_the_real_resolver()
    {
        var result = ConfigLoader.Parse("""
            [[listener]]
            name = "main"
            bind = "127.0.0.1:0"
            tenant = "acme"
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "localhost:9001"
            """, "t.toml");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9001"), result.Config.Tenants[0].Backends[0].EndPoint);
        Assert.Equal("localhost:9001", result.Config.Tenants[0].Backends[0].Address);
    }

    [Fact]
    public void Backend_host_with_only_an_ipv6_address_uses_it()
    {
        var config = Load("""
            [[tenant]]
            name = "acme"
            [[tenant.backend]]
            address = "v6only.internal:443"
            """);

        Assert.Equal(IPEndPoint.Parse("[2001:db8::5]:443"), config.Tenants[0].Backends[0].EndPoint);
    }
}
