using L4Balancer.Core.Telemetry;

namespace L4Balancer.Tests.Telemetry;

public class BackendCountersTests
{
    [Fact]
    public void Counts_connections_and_adds_each_sessions_bytes_per_direction()
    {
        var counters = new BackendCounters();
        counters.Connected();
        counters.Connected();
        counters.AddBytes(clientToBackend: 100, backendToClient: 7000);
        counters.AddBytes(clientToBackend: 5, backendToClient: 0);

        Assert.Equal(2, counters.Connections);
        Assert.Equal(105, counters.BytesClientToBackend);
        Assert.Equal(7000, counters.BytesBackendToClient);
    }

    [Fact]
    public void A_report_never_goes_below_the_previous_one_in_either_direction()
    {
        // A collection that missed a session's bytes in the instant they moved from live to finished.
        var counters = new BackendCounters();
        Assert.Equal((500, 900), counters.Report(500, 900));
        Assert.Equal((500, 900), counters.Report(400, 900));
        Assert.Equal((500, 950), counters.Report(450, 950));
        Assert.Equal((600, 950), counters.Report(600, 10));
    }
}
