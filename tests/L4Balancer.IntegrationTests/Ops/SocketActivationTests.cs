using System.Net.Http;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// Socket activation (issue 12): systemd's own launcher binds the sockets, waits for the first connect,
/// then execs the balancer with LISTEN_FDS; the named sockets serve the listener and the admin endpoint.
/// </summary>
public class SocketActivationTests
{
    [SocketActivateFact]
    public async Task Sockets_from_systemd_serve_by_name_and_a_connect_made_before_start_is_served()
    {
        await using var backend = TestBackend.Echo();
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();

        // The config's bind differs on purpose: the socket unit decides the address of a named socket.
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, "127.0.0.1:0", ("127.0.0.1:0", "activation-token")));
        await using var process = BalancerProcess.StartUnder(SocketActivateFactAttribute.Path!, ["-l", listener.ToString(), "-l", admin.ToString(), "--fdname=main:admin"], null,
            "run", "--config", path);

        // Nothing runs the balancer yet: systemd-socket-activate starts it on this first connect.
        await process.WaitForLineAsync($@"Listening on {listener} as 3");
        using (var first = await SocketExtensions.ConnectToAsync(listener))
        {
            await first.SendTextAsync("queued before start\n", Deadline.After());
            Assert.Equal("queued before start", await first.ReadLineAsync(Deadline.After(TimeSpan.FromSeconds(60))));
        }

        await process.WaitForLineAsync(@"socket activation: 2 socket\(s\) from systemd");
        await process.WaitForLineAsync($@"listener main accepting on {listener.ToString().Replace(".", @"\.")} \(socket handed over");
        using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}") };
        Assert.Equal("ok", await http.GetStringAsync("/healthz", Deadline.After()));

        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        File.Delete(path);
    }
}
