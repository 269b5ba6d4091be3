using L4Balancer.Core.Config;
using static L4Balancer.Tests.Config.ConfigTestHelper;

namespace L4Balancer.Tests.Config;

public class ConfigSummaryTests
{
    [Fact]
    public void Summarizes_listeners_tenants_and_backends()
    {
        var config = Load("""
            [global]
            max_connections = 50000
            deny = ["203.0.113.0/24"]

            [[listener]]
            name = "public-tls"
            bind = "0.0.0.0:8443"
            route = "sni"
            tenant = "acme"

            [[listener]]
            name = "plain"
            bind = "[::]:8080"
            tenant = "beta"

            [[tenant]]
            name = "acme"
            sni = ["llm.acme.example", "*.acme.example"]
            allow = ["10.0.0.0/8"]
            max_connections = 1000
            connection_rate = 200
            connection_burst = 400
            bandwidth = "100MB/s"
            queue_timeout = "30s"
            [tenant.health]
            [[tenant.backend]]
            address = "10.1.0.11:443"
            weight = 2
            [[tenant.backend]]
            address = "api.internal:443"
            max_connections = 10

            [[tenant]]
            name = "beta"
            proxy_protocol = "v2"
            balance = "round_robin"
            bandwidth = "64KiB"
            [[tenant.backend]]
            address = "[2001:db8::1]:443"
            """);

        Assert.Equal("""
            2 listeners, 2 tenants, 3 backends
            global max_connections=50000 max_connections_per_ip=unlimited max_pending_handshakes=4096 max_pending_handshakes_per_ip=64 connect_timeout=5s idle_timeout=30m client_hello_timeout=5s drain_timeout=5m upgrade_timeout=30s backlog=511 access_log=on log_level=info deny=203.0.113.0/24
            admin off
            listener public-tls 0.0.0.0:8443 route=sni fallback=acme
            listener plain [::]:8080 route=port tenant=beta
            tenant acme sni=llm.acme.example,*.acme.example allow=10.0.0.0/8
              limits max_connections=1000 connection_rate=200/s connection_burst=400 bandwidth=100MB/s queue_timeout=30s max_queue=unlimited
              balance=least_connections retries=2 proxy_protocol=off
              health type=tcp interval=5s timeout=2s rise=2 fall=3
              backend 10.1.0.11:443 weight=2 max_connections=unlimited
              backend api.internal:443 (10.9.0.1:443) weight=1 max_connections=10
            tenant beta
              limits max_connections=unlimited connection_rate=unlimited bandwidth=64KiB/s
              balance=round_robin retries=2 proxy_protocol=v2
              health passive only
              backend [2001:db8::1]:443 weight=1 max_connections=unlimited

            """, ConfigSummary.Format(config));
    }
}
