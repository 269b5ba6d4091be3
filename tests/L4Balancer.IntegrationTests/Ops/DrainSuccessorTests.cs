using System.Net;
using System.Net.Http;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// Issue 12 item 4, on the real executable: SIGTERM (no upgrade) drains with the admin endpoint still
/// answering 503 <c>stopping</c>, and a new process started during that drain takes the admin socket over
/// instead of exiting on "address in use"; the draining one finishes its streams and exits 0.
/// </summary>
public class DrainSuccessorTests
{
    [Fact]
    public async Task A_successor_started_during_a_drain_takes_the_admin_socket_and_the_drain_completes()
    {
        await using var backend = TestBackend.Echo();
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString(), (admin.ToString(), "drain-token")));
        await using var first = BalancerProcess.Start("run", "--config", path);
        await first.WaitForLineAsync(@"listener main accepting on");

        using var stream = await SocketExtensions.ConnectToAsync(listener);
        await stream.SendTextAsync("before\n", Deadline.After());
        Assert.Equal("before", await stream.ReadLineAsync(Deadline.After()));

        first.Signal(BalancerProcess.SIGTERM);
        await first.WaitForLineAsync(@"draining 1 open connections");
        using (var draining = new HttpClient { BaseAddress = new Uri($"http://{admin}") })
        {
            using var answer = await draining.GetAsync("/healthz", Deadline.After());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            Assert.Equal("stopping", await answer.Content.ReadAsStringAsync());
        }

        await using var second = BalancerProcess.Start("run", "--config", path);
        await second.WaitForLineAsync($@"admin: took the admin socket over from pid {first.Id}, which is draining");
        await second.WaitForLineAsync(@"listener main accepting on");
        await first.WaitForLineAsync($@"admin: handed the admin socket to pid {second.Id}");
        using (var serving = new HttpClient { BaseAddress = new Uri($"http://{admin}") })
        {
            Assert.Equal("ok", await serving.GetStringAsync("/healthz", Deadline.After()));
        }

        using (var fresh = await SocketExtensions.ConnectToAsync(listener))
        {
            await fresh.SendTextAsync("to the successor\n", Deadline.After());
            Assert.Equal("to the successor", await fresh.ReadLineAsync(Deadline.After()));
        }

        // The stream the first process accepted still runs there, to its end.
        Assert.False(first.HasExited);
        await stream.SendTextAsync("still here\n", Deadline.After());
        Assert.Equal("still here", await stream.ReadLineAsync(Deadline.After()));
        stream.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await stream.WaitForCloseAsync(Deadline.After());
        Assert.Equal(0, await first.WaitForExitAsync(Deadline.After()));
        Assert.Contains(first.Output, l => l.Contains("end=closed", StringComparison.Ordinal));

        second.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await second.WaitForExitAsync(Deadline.After()));
        File.Delete(path);
    }

    [Fact]
    public async Task Without_a_draining_balancer_a_taken_admin_address_is_still_an_error()
    {
        using var squatter = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        squatter.Listen(1);
        await using var backend = TestBackend.Echo();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, admin: (squatter.LocalEndPoint!.ToString()!, "t")));

        var (code, _, errors) = await BalancerProcess.RunWithinAsync(TimeSpan.FromSeconds(60), "run", "--config", path);
        Assert.Equal(1, code);
        Assert.Contains("Address already in use", errors);
        File.Delete(path);
    }
}
