using System.Net;
using System.Net.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

public class AdminBindFailureTests
{
    [Fact]
    public async Task A_busy_admin_address_exits_one_with_the_reason_and_never_reports_ready()
    {
        await using var backend = TestBackend.Echo();
        using var notify = NotifySocket.AtPath();
        using var occupied = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        occupied.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        occupied.Listen();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, admin: (occupied.LocalEndPoint!.ToString()!, "some-token")));
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address }, "run", "--config", path);

        Assert.Equal(1, await process.WaitForExitAsync(Deadline.After()));
        Assert.Contains(process.Errors, l => l.Contains($"admin: cannot bind {occupied.LocalEndPoint}"));
        Assert.False(notify.HasPending, "a notification (READY=1?) was sent by a process that failed to start");
        File.Delete(path);
    }
}
