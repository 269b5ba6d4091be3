using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// SPEC "Signals and systemd", on the real executable: NOTIFY_SOCKET points at a datagram socket the
/// test owns, as systemd's would.
/// </summary>
public class SdNotifyTests
{
    private static async Task AssertServingAsync(IPEndPoint listener)
    {
        using var client = await SocketExtensions.ConnectToAsync(listener);
        await client.SendTextAsync("ready?\n", Deadline.After());
        Assert.Equal("ready?", await client.ReadLineAsync(Deadline.After()));
    }

    /// <summary>Awaits a notification, failing at once (with what the process printed) if the process exits first.</summary>
    private static async Task<T> WithOutputAsync<T>(BalancerProcess process, Task<T> task)
    {
        using var stop = new CancellationTokenSource();
        var exited = process.WaitForExitAsync(stop.Token);
        try
        {
            if (await Task.WhenAny(task, exited) == exited)
            {
                throw new InvalidOperationException($"l4balancer exited ({await exited}) before notifying:\n{string.Join('\n', process.Output.Concat(process.Errors))}");
            }

            return await task;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}; l4balancer printed:\n{string.Join('\n', process.Output.Concat(process.Errors))}", ex);
        }
        finally
        {
            stop.Cancel();
            await exited.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }


    [Fact]
    public async Task Ready_comes_once_the_listener_and_admin_endpoint_accept_and_stopping_on_sigterm()
    {
        await using var backend = TestBackend.Echo();
        using var notify = NotifySocket.AtPath();

        // Fixed free ports, so the test can connect the instant READY=1 arrives, with nothing else to wait for.
        var listener = TestConfigs.ClosedPort();
        var adminEndPoint = TestConfigs.ClosedPort();
        var token = Guid.NewGuid().ToString("N");
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString(), (adminEndPoint.ToString(), "env:L4B_TEST_ADMIN_TOKEN")));
        await using var process = BalancerProcess.Start(
            new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["L4B_TEST_ADMIN_TOKEN"] = token },
            "run", "--config", path);

        var first = await WithOutputAsync(process, notify.ReceiveAsync());
        Assert.StartsWith("READY=1\n", first); // nothing claims readiness earlier
        Assert.Contains("STATUS=serving 1 listener(s)", first);

        await AssertServingAsync(listener);
        using var http = new HttpClient { BaseAddress = new Uri($"http://{adminEndPoint}") };
        Assert.Equal("ok", await http.GetStringAsync("/healthz", Deadline.After()));
        using var status = new HttpRequestMessage(HttpMethod.Get, "/api/status") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
        using var statusResponse = await http.SendAsync(status, Deadline.After());
        Assert.Equal(HttpStatusCode.OK, statusResponse.StatusCode);

        process.Signal(BalancerProcess.SIGTERM);
        var stopping = await notify.ReceiveUntilAsync("STOPPING=1");
        Assert.DoesNotContain(stopping.SkipLast(1), m => m.Contains("READY=1"));
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        File.Delete(path);
    }

    [Fact]
    public async Task An_abstract_notify_socket_works_too()
    {
        await using var backend = TestBackend.Echo();
        using var notify = NotifySocket.Abstract();
        var listener = TestConfigs.ClosedPort();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString()));
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address }, "run", "--config", path);

        await WithOutputAsync(process, notify.ReceiveUntilAsync("READY=1"));
        await AssertServingAsync(listener);

        process.Signal(BalancerProcess.SIGTERM);
        await notify.ReceiveUntilAsync("STOPPING=1");
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        File.Delete(path);
    }

    [Fact]
    public async Task Sighup_sends_reloading_then_ready()
    {
        await using var backend = TestBackend.Echo();
        await using var other = TestBackend.Echo();
        using var notify = NotifySocket.AtPath();
        var listener = TestConfigs.ClosedPort();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString()));
        await using var process = BalancerProcess.Start(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address }, "run", "--config", path);
        await notify.ReceiveUntilAsync("READY=1");

        await File.WriteAllTextAsync(path, OpsConfigs.PortRouted(other.EndPoint, listener.ToString()));
        process.Signal(BalancerProcess.SIGHUP);

        var reloading = (await notify.ReceiveUntilAsync("RELOADING=1")).Last();
        Assert.Matches(@"(^|\n)MONOTONIC_USEC=\d+(\n|$)", reloading);
        await notify.ReceiveUntilAsync("READY=1");
        await AssertServingAsync(listener);
        await Deadline.UntilAsync(() => other.Total == 1, because: "the reloaded config's backend took the connection");

        process.Signal(BalancerProcess.SIGTERM);
        await notify.ReceiveUntilAsync("STOPPING=1");
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        File.Delete(path);
    }
}
