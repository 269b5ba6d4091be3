using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using L4Balancer.Core.Config;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>
/// Issue 16's stream telemetry after real streams, on whichever transport the run uses
/// (<c>L4B_TEST_TRANSPORT</c>): <c>l4lb_backend_first_byte_seconds</c> and <c>l4lb_backend_max_gap_seconds</c>
/// by tenant and backend, and the access log's <c>ttfb_ms</c> and <c>max_gap_ms</c>.
/// </summary>
public partial class StreamTelemetryTests
{
    private const string FirstByte = "l4lb_backend_first_byte_seconds";
    private const string MaxGap = "l4lb_backend_max_gap_seconds";
    private static readonly TimeSpan FirstByteWait = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Stall = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// An LLM backend in miniature: reads the prompt, waits <see cref="FirstByteWait"/> (its queue and
    /// prefill), streams two tokens, then stalls <see cref="Stall"/> before the last one. The waits start
    /// from events the balancer's own clock reads precede (the prompt reaches the backend only after the
    /// balancer noted its connect; the stall starts only after the client has the second token, so after
    /// the balancer read it), and they are measured, so the balancer's figures are at least these
    /// however the machine schedules: the test cannot pass by luck or fail by load at the lower bound.
    /// </summary>
    private sealed class StallingBackend
    {
        public TaskCompletionSource ClientHasSecondToken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAsync(Socket socket)
        {
            var buffer = new byte[1024];
            if (await socket.ReceiveAsync(buffer, SocketFlags.None) == 0)
            {
                return;
            }

            await WaitAtLeastAsync(FirstByteWait);
            await socket.SendAsync("token1\n"u8.ToArray(), SocketFlags.None);
            await Task.Delay(20);
            await socket.SendAsync("token2\n"u8.ToArray(), SocketFlags.None);
            await ClientHasSecondToken.Task.WaitAsync(Deadline.Default);
            await WaitAtLeastAsync(Stall);
            await socket.SendAsync("token3\n"u8.ToArray(), SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
            await Handlers.HoldAsync(socket); // until the client's FIN
        }
    }

    /// <summary>A backend that reads the prompt and never answers, closing when the client does.</summary>
    private sealed class SilentBackend
    {
        public TaskCompletionSource HasPrompt { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAsync(Socket socket)
        {
            var buffer = new byte[1024];
            if (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
            {
                HasPrompt.TrySetResult();
                await Handlers.HoldAsync(socket);
            }

            socket.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Timer waits may end a little early on some clocks; the figures asserted below must not depend on that.</summary>
    private static async Task WaitAtLeastAsync(TimeSpan wait)
    {
        var started = Stopwatch.StartNew();
        await Task.Delay(wait);
        while (started.Elapsed < wait)
        {
            await Task.Delay(1);
        }
    }

    /// <summary>"slow" → t1 (the stalling backend), "fast" → t2 (echo), "silent" → t3 (never answers).</summary>
    private static BalancerConfig Scenario(TestBackend slow, TestBackend fast, TestBackend silent)
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        return new BalancerConfig
        {
            Listeners =
            [
                new ListenerConfig { Name = "slow", Bind = loopback, Tenant = "t1" },
                new ListenerConfig { Name = "fast", Bind = loopback, Tenant = "t2" },
                new ListenerConfig { Name = "silent", Bind = loopback, Tenant = "t3" },
            ],
            Tenants =
            [
                new TenantConfig { Name = "t1", Backends = [TestConfigs.Backend(slow)] },
                new TenantConfig { Name = "t2", Backends = [TestConfigs.Backend(fast)] },
                new TenantConfig { Name = "t3", Backends = [TestConfigs.Backend(silent)] },
            ],
        };
    }

    [Fact]
    public async Task First_byte_and_longest_stall_show_per_tenant_and_backend_and_in_the_access_log()
    {
        var stalling = new StallingBackend();
        var quiet = new SilentBackend();
        await using var slow = TestBackend.Start(stalling.HandleAsync);
        await using var fast = TestBackend.Echo();
        await using var silent = TestBackend.Start(quiet.HandleAsync);
        await using var admin = await AdminHarness.StartAsync(Scenario(slow, fast, silent));
        var balancer = admin.Balancer;
        (string, string) T1 = ("tenant", "t1"), Slow = ("backend", slow.Address);

        // A healthy stream on t2: answers at once. First, so it (not the slow stream, whose upper
        // bounds are asserted) pays for the first connection's JIT, as the scrape below does for the
        // admin endpoint's.
        using (var client = await balancer.ConnectAsync("fast"))
        {
            await client.SendTextAsync("hi\n", Deadline.After());
            Assert.Equal("hi", await client.ReadLineAsync(Deadline.After()));
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, because: "the fast session finished");
        Assert.Equal(1, (await admin.ScrapeAsync()).Get($"{MaxGap}_count", ("tenant", "t2"), ("backend", fast.Address)));

        // The slow one on t1.
        using (var client = await balancer.ConnectAsync("slow"))
        {
            await client.SendTextAsync("prompt\n", Deadline.After());
            Assert.Equal("token1", await client.ReadLineAsync(Deadline.After()));
            Assert.Equal("token2", await client.ReadLineAsync(Deadline.After()));
            stalling.ClientHasSecondToken.SetResult();

            // Mid-stream: the first byte is observed when it comes, not when a minutes-long stream ends;
            // the longest silence only at the close.
            var live = await admin.ScrapeAsync();
            Assert.Equal(1, live.Get($"{FirstByte}_count", T1, Slow));
            Assert.Null(live.Find($"{MaxGap}_count", T1, Slow));

            Assert.Equal("token3", await client.ReadLineAsync(Deadline.After()));
            Assert.Empty(await client.ReadToEndAsync(Deadline.After()));
            client.Shutdown(SocketShutdown.Send);
        }

        // A backend that never sends: the client gives up after a silence.
        using (var client = await balancer.ConnectAsync("silent"))
        {
            await client.SendTextAsync("prompt\n", Deadline.After());
            await quiet.HasPrompt.Task.WaitAsync(Deadline.Default);
            await WaitAtLeastAsync(Silence);
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => balancer.Engine.Connections.Count == 0, because: "every session finished");
        var metrics = await admin.ScrapeAsync();

        // t1's stalling backend: one first byte above 0.3 s, one longest gap above 0.5 s, each in the
        // bucket above the boundary (0.25 and 0.5) that tells it from a healthy stream.
        Assert.Equal("histogram", metrics.TypeOf(FirstByte));
        Assert.Equal("histogram", metrics.TypeOf(MaxGap));
        Assert.Equal(1, metrics.Get($"{FirstByte}_count", T1, Slow));
        Assert.InRange(metrics.Get($"{FirstByte}_sum", T1, Slow), FirstByteWait.TotalSeconds, 30);
        Assert.Equal(0, metrics.Get($"{FirstByte}_bucket", T1, Slow, ("le", "0.25")));
        Assert.Equal(1, metrics.Get($"{FirstByte}_bucket", T1, Slow, ("le", "1")));
        Assert.Equal(1, metrics.Get($"{MaxGap}_count", T1, Slow));
        Assert.InRange(metrics.Get($"{MaxGap}_sum", T1, Slow), Stall.TotalSeconds, 30);
        Assert.Equal(0, metrics.Get($"{MaxGap}_bucket", T1, Slow, ("le", "0.5")));
        Assert.Equal(1, metrics.Get($"{MaxGap}_bucket", T1, Slow, ("le", "1")));

        // t2's echo: the same histograms under its own labels. Its first byte has no upper bound here
        // (the first connection of a fresh process pays for the JIT: 0.3 s seen under load); its one
        // read makes a gap of 0.
        (string, string) T2 = ("tenant", "t2"), Fast = ("backend", fast.Address);
        Assert.Equal(1, metrics.Get($"{FirstByte}_count", T2, Fast));
        Assert.Equal(1, metrics.Get($"{MaxGap}_bucket", T2, Fast, ("le", "0.001")));
        Assert.Null(metrics.Find($"{FirstByte}_count", T1, Fast));
        Assert.Null(metrics.Find($"{FirstByte}_count", T2, Slow));

        // t3's silent backend: no first byte at all, and its gap is the whole connection.
        (string, string) T3 = ("tenant", "t3"), Silent = ("backend", silent.Address);
        Assert.Null(metrics.Find($"{FirstByte}_count", T3, Silent));
        Assert.Equal(1, metrics.Get($"{MaxGap}_count", T3, Silent));
        Assert.InRange(metrics.Get($"{MaxGap}_sum", T3, Silent), Silence.TotalSeconds, 30);

        // The access log says the same per connection; "-" where there was no first byte.
        var records = balancer.AccessLog.ToArray();
        var slowRecord = Fields(Assert.Single(records, r => r.Contains($"backend={slow.Address} ")));
        Assert.InRange(double.Parse(slowRecord["ttfb_ms"], CultureInfo.InvariantCulture), FirstByteWait.TotalMilliseconds, 30_000);
        Assert.InRange(double.Parse(slowRecord["max_gap_ms"], CultureInfo.InvariantCulture), Stall.TotalMilliseconds, 30_000);
        var silentRecord = Fields(Assert.Single(records, r => r.Contains($"backend={silent.Address} ")));
        Assert.Equal("-", silentRecord["ttfb_ms"]);
        Assert.InRange(double.Parse(silentRecord["max_gap_ms"], CultureInfo.InvariantCulture), Silence.TotalMilliseconds, 30_000);
        Assert.All(records, r => Assert.Matches(@" end=\S+ ttfb_ms=\S+ max_gap_ms=\S+$", r));
    }

    [Fact]
    public async Task A_rejected_connection_has_neither_figure()
    {
        await using var backend = TestBackend.Echo();
        var config = TestConfigs.PortRouted([TestConfigs.Backend(backend)], t => t with { Allow = [Core.Net.IpPrefix.Parse("10.0.0.0/8")] });
        await using var admin = await AdminHarness.StartAsync(config);
        using (var client = await admin.Balancer.ConnectAsync())
        {
            await client.WaitForCloseAsync(Deadline.After());
        }

        await Deadline.UntilAsync(() => admin.Balancer.AccessLog.Any(l => l.Contains("end=ip_denied")), because: "the rejection's access-log record");
        var record = Fields(Assert.Single(admin.Balancer.AccessLog));
        Assert.Equal("-", record["ttfb_ms"]);
        Assert.Equal("-", record["max_gap_ms"]);

        var metrics = await admin.ScrapeAsync();
        Assert.DoesNotContain(metrics.Names, n => n.StartsWith(FirstByte, StringComparison.Ordinal) || n.StartsWith(MaxGap, StringComparison.Ordinal));
    }

    private static Dictionary<string, string> Fields(string record) =>
        FieldPattern().Matches(record).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

    [GeneratedRegex(@"(\w+)=(\S*)")]
    private static partial Regex FieldPattern();
}
