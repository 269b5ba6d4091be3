using System.Net;
using L4Balancer.Core.Config;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Model;

namespace L4Balancer.Tests.Limits;

/// <summary>
/// accept_proxy: the process-wide slot is taken while the header comes, with no address; the per-IP
/// slot is the client's from the header, never the proxy's, and each slot is still given back once.
/// </summary>
public class AdmissionBehindProxyTests
{
    private static readonly IPAddress ClientA = IPAddress.Parse("198.51.100.1");
    private static readonly IPAddress ClientB = IPAddress.Parse("198.51.100.2");
    private readonly GlobalLimitState _global = new();

    [Fact]
    public void The_process_slot_comes_first_then_the_clients_per_ip_slot_and_each_is_taken_once()
    {
        var config = new GlobalConfig { MaxConnections = 10, MaxConnectionsPerIp = 1 };
        var first = new Admission(_global, null);

        Assert.Equal(CloseReason.None, first.EnterProcess(config)); // waiting for the header
        Assert.Equal((1, 0), (_global.Connections.Count, _global.ConnectionsPerIp.TrackedAddresses));

        first.SetSource(ClientA);
        Assert.Equal(CloseReason.None, first.EnterProcess(config));
        Assert.Equal((1, 1), (_global.Connections.Count, _global.ConnectionsPerIp.CountFor(ClientA)));

        // A second connection through the same proxy for the same client: per_ip_limit, counted against
        // the client; one for another client is admitted.
        var second = new Admission(_global, null);
        Assert.Equal(CloseReason.None, second.EnterProcess(config));
        second.SetSource(ClientA);
        Assert.Equal(CloseReason.PerIpLimit, second.EnterProcess(config));
        var third = new Admission(_global, null);
        Assert.Equal(CloseReason.None, third.EnterProcess(config));
        third.SetSource(ClientB);
        Assert.Equal(CloseReason.None, third.EnterProcess(config));

        first.ReleaseAll();
        second.ReleaseAll();
        third.ReleaseAll();
        Assert.Equal((0, 0), (_global.Connections.Count, _global.ConnectionsPerIp.TrackedAddresses));
    }

    [Fact]
    public void A_connection_waiting_for_its_header_counts_against_max_connections()
    {
        var config = new GlobalConfig { MaxConnections = 1 };
        Assert.Equal(CloseReason.None, new Admission(_global, null).EnterProcess(config));

        Assert.Equal(CloseReason.GlobalLimit, new Admission(_global, null).EnterProcess(config));
    }

    [Fact]
    public void The_source_cannot_change_once_a_per_ip_slot_is_held()
    {
        var admission = new Admission(_global, ClientA);
        Assert.Equal(CloseReason.None, admission.EnterProcess(new GlobalConfig()));

        Assert.Throws<InvalidOperationException>(() => admission.SetSource(ClientB));
        admission.ReleaseAll();
        Assert.Equal(0, _global.ConnectionsPerIp.TrackedAddresses);
    }
}
