using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using L4Balancer.Core.Limits;
using L4Balancer.Core.Net;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// Issue 11, defect 2: at its open-files limit the process used to abort (the runtime could not get a
/// descriptor for a new thread's pipe) and Kestrel's accept loop spun at 100 % CPU on EMFILE. The real
/// executable runs under a lowered RLIMIT_NOFILE: it must refuse what its descriptor budget cannot
/// hold (<c>global_limit</c>), keep the admin endpoint answering, never spin, and recover by itself.
/// </summary>
public class DescriptorBudgetTests
{
    private const int HeldClients = 1200;

    // Far below one core: a spinning accept loop burns ~1 s of CPU per second (2/3 of that with both
    // cores busy elsewhere). Generous, the machine is shared; the quietest of three windows counts.
    private const double MaxCpuSecondsOverWindow = 0.5;
    private static readonly TimeSpan CpuWindow = TimeSpan.FromSeconds(2);

    // With no descriptor free, a .NET process cannot start a thread (each new thread opens a pipe), and
    // the tiered JIT starts its worker thread again whenever a method reaches its call count after the
    // worker idled out; a failure there is thrown into whatever code made the call, and the process
    // aborts ("Out of memory.", 3 of 8 runs). Without tiering, nothing in the balancer starts a thread
    // in the held case below.
    private static readonly Dictionary<string, string> WithoutTieredJit = new() { ["DOTNET_TieredCompilation"] = "0" };

    private enum Outcome
    {
        Served,
        Closed,
        Hung,
    }

    [PrlimitFact]
    public async Task At_a_1000_descriptor_limit_connections_beyond_the_budget_are_refused_and_the_process_stays_healthy()
    {
        await using var backend = TestBackend.Echo();
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var token = Guid.NewGuid().ToString("N");
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString(), (admin.ToString(), token)));
        var clients = new List<Socket>();
        try
        {
            // prlimit sets soft and hard, and execs dotnet: the runtime cannot raise the soft limit past 1000.
            await using var process = BalancerProcess.StartUnder(PrlimitFactAttribute.Path, ["--nofile=1000:1000", "--"], null, "run", "--config", path);
            using var http = AdminClient(admin, token);
            await WaitForHealthzAsync(http);
            Assert.Equal((1000L, 1000L), ProcFs.OpenFilesLimit(process.Id));

            for (var i = 0; i < HeldClients; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                clients.Add(socket);
                try
                {
                    await socket.ConnectAsync(listener, Deadline.After(TimeSpan.FromSeconds(10)));
                }
                catch (Exception ex) when (ex is SocketException or OperationCanceledException)
                {
                    // Counted by the probe below (a socket that never connected cannot echo).
                }
            }

            var outcomes = await Task.WhenAll(clients.Select(c => ProbeAsync(c, TimeSpan.FromSeconds(20))));
            Assert.False(process.HasExited, "the balancer died at its descriptor limit:\n" + string.Join('\n', process.Output.Concat(process.Errors).TakeLast(30)));
            var served = outcomes.Count(o => o == Outcome.Served);
            var closed = outcomes.Count(o => o == Outcome.Closed);
            Assert.True(outcomes.All(o => o != Outcome.Hung), $"{outcomes.Count(o => o == Outcome.Hung)} connections neither served nor closed (served {served}, closed {closed})");
            Assert.InRange(served, 1, HeldClients - 1);

            // A fresh admin connection at the budget: the reserve keeps a descriptor for it.
            using (var fresh = AdminClient(admin, token))
            {
                var status = JsonDocument.Parse(await fresh.GetStringAsync("/api/status")).RootElement;
                var descriptors = status.GetProperty("descriptors");
                Assert.Equal(1000, descriptors.GetProperty("limit").GetInt64());
                var reserved = descriptors.GetProperty("reserved").GetInt32();
                var maxConnections = descriptors.GetProperty("max_connections").GetInt32();
                Assert.Equal((1000 - reserved) / 2, maxConnections);
                Assert.Equal(maxConnections, served);

                // Every refusal is counted (the session counts it as it finishes, a moment after the client saw the close).
                await Deadline.UntilAsync(async () =>
                    new PrometheusText(await fresh.GetStringAsync("/metrics")).Find("l4lb_connections_rejected_total", ("listener", "main"), ("tenant", ""), ("reason", "global_limit")) == closed,
                    because: $"{closed} global_limit rejections to be counted");
            }

            var cpu = await ProcFs.QuietestCpuOverAsync(process.Id, CpuWindow, MaxCpuSecondsOverWindow);
            Assert.True(cpu < MaxCpuSecondsOverWindow, $"the balancer used {cpu:F2} s of CPU in the quietest of 3 windows of {CpuWindow.TotalSeconds} s at its limit (a spinning thread?)");

            var first = clients[outcomes.ToList().IndexOf(Outcome.Served)];
            Assert.Equal(Outcome.Served, await ProbeAsync(first, TimeSpan.FromSeconds(10)));

            foreach (var client in clients)
            {
                client.Dispose();
            }

            clients.Clear();
            await Deadline.UntilAsync(async () => JsonDocument.Parse(await http.GetStringAsync("/api/status")).RootElement.GetProperty("connections_open").GetInt32() == 0,
                because: "the held connections to close");
            using (var again = await SocketExtensions.ConnectToAsync(listener))
            {
                Assert.Equal(Outcome.Served, await ProbeAsync(again, TimeSpan.FromSeconds(10)));
            }

            process.Signal(BalancerProcess.SIGTERM);
            Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            File.Delete(path);
        }
    }

    [PrlimitFact]
    public async Task A_soft_limit_lowered_below_use_makes_accept_fail_without_a_spin_and_the_process_recovers_when_it_is_raised()
    {
        await using var backend = TestBackend.Echo();
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var token = Guid.NewGuid().ToString("N");
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString(), (admin.ToString(), token)));
        var held = new List<Socket>();
        var pending = new List<Socket>();
        try
        {
            await using var process = BalancerProcess.Start("run", "--config", path);
            using var http = AdminClient(admin, token); // keeps its connection: it needs no new descriptor later
            await WaitForHealthzAsync(http);
            Assert.Equal(200, (int)(await http.GetAsync("/api/status")).StatusCode);
            for (var i = 0; i < 20; i++)
            {
                var client = await SocketExtensions.ConnectToAsync(listener);
                held.Add(client);
                Assert.Equal(Outcome.Served, await ProbeAsync(client, TimeSpan.FromSeconds(10)));
            }

            await ProcFs.WaitForQuietAsync(process.Id);
            var (_, hard) = ProcFs.OpenFilesLimit(process.Id);
            var soft = ProcFs.OpenDescriptors(process.Id) - 5;
            await PrlimitAsync(process.Id, $"--nofile={soft}:");
            Assert.Equal(soft, ProcFs.OpenFilesLimit(process.Id).Soft);

            // New clients complete the TCP handshake in the kernel's backlog, but accept() gets EMFILE.
            for (var i = 0; i < 3; i++)
            {
                pending.Add(await SocketExtensions.ConnectToAsync(listener));
            }

            // The accept loop meets EMFILE at once and releases the spare descriptors, so the runtime
            // keeps room for threads. (Only if the once-a-second limit check ran in the few milliseconds
            // between prlimit and these connects would it release them first, and no accept fail.)
            await process.WaitForLineAsync(@"listener main: accept failed \(TooManyOpenSockets\) \d+ times|released \d+ spare descriptors", TimeSpan.FromSeconds(15));
            await process.WaitForLineAsync(@"released \d+ spare descriptors", TimeSpan.FromSeconds(5));

            // The admin endpoint's accept only now: opened before, its accept loop could meet EMFILE and
            // release the spares first (it reports to the same engine), and ours would then accept on a
            // freed descriptor without a failure line to count (seen on the sockets transport in CI).
            using var freshAdmin = AdminClient(admin, token);
            var freshHealthz = freshAdmin.GetAsync("/healthz");
            var cpu = await ProcFs.QuietestCpuOverAsync(process.Id, CpuWindow, MaxCpuSecondsOverWindow);
            Assert.False(process.HasExited, "the balancer died at its descriptor limit");
            Assert.True(cpu < MaxCpuSecondsOverWindow, $"the balancer used {cpu:F2} s of CPU in the quietest of 3 windows of {CpuWindow.TotalSeconds} s while accept failed with EMFILE (a spinning accept loop?)");

            // Rate-limited: one line per interval with a count, not one per failed accept (~10 a second).
            var failureLines = process.Output.Count(l => Regex.IsMatch(l, "listener main: accept failed"));
            var checkWasFirst = process.Output.TakeWhile(l => !l.Contains("listener main: accept failed", StringComparison.Ordinal))
                .Any(l => l.Contains("open-files limit lowered", StringComparison.Ordinal));
            Assert.InRange(failureLines, checkWasFirst ? 0 : 1, 2);

            Assert.Equal(Outcome.Served, await ProbeAsync(held[0], TimeSpan.FromSeconds(10)));

            // The periodic re-check saw the lowered limit.
            await Deadline.UntilAsync(async () => await DescriptorLimitAsync(http) == soft, because: "the budget to follow the lowered soft limit");

            await PrlimitAsync(process.Id, $"--nofile={hard}:");
            using (var healthz = await freshHealthz.WaitAsync(Deadline.After()))
            {
                Assert.Equal(HttpStatusCode.OK, healthz.StatusCode); // the admin endpoint's backlog was accepted once descriptors came back
            }

            // Accepted as soon as descriptors are back: served, or refused while the budget still reflects the low limit.
            foreach (var client in pending)
            {
                Assert.NotEqual(Outcome.Hung, await ProbeAsync(client, TimeSpan.FromSeconds(10)));
            }

            await Deadline.UntilAsync(async () => await DescriptorLimitAsync(http) == hard, because: "the budget to follow the raised soft limit");
            using (var again = await SocketExtensions.ConnectToAsync(listener))
            {
                Assert.Equal(Outcome.Served, await ProbeAsync(again, TimeSpan.FromSeconds(10)));
            }

            if (!checkWasFirst)
            {
                await process.WaitForLineAsync(@"listener main: accepting again after \d+ failed accepts", TimeSpan.FromSeconds(10));
            }

            await process.WaitForLineAsync(@"\d+ spare descriptors taken back", TimeSpan.FromSeconds(10));
            Assert.False(process.HasExited);
            await StopCleanlyAsync(process, held.Concat(pending));
        }
        finally
        {
            foreach (var client in held.Concat(pending))
            {
                client.Dispose();
            }

            File.Delete(path);
        }
    }

    /// <summary>
    /// The test above leaves the limit for a moment only: the spare descriptors released at the first
    /// EMFILE open holes below the limit, and the next accept goes through. Here the limit is set so that
    /// even with the spares released no descriptor number below it is free (the kernel hands out the
    /// lowest free number, which must be below the soft limit, whatever the count of open ones), so accept
    /// fails for seconds on every loop: on epoll each loop's acceptor retries every 100 ms. Meanwhile the
    /// process must not spin or die, must log one line for all those failures, and the held connections
    /// must keep relaying (bulk too: on epoll the pump's splice path, whose pipes come from a pool that
    /// cannot open new ones now); once descriptors are free again, the backlog is accepted.
    /// With no descriptor free the runtime itself cannot start a thread (SpareDescriptors: the limit
    /// fell more than its count below what is open). On epoll the balancer starts none here: accepting,
    /// its retry timer and the relays run on the loop threads. The tiered JIT does start one, so the
    /// balancer runs without it here (see <see cref="WithoutTieredJit"/>; README "Descriptor limits").
    /// On the sockets transport accepting and relaying run on the thread pool, which starts threads as it
    /// sees fit; most failed starts it survives, but one CI run still died ("Out of memory.") with tiering
    /// off, so there this case is skipped; the test above covers the limit on both transports.
    /// </summary>
    [EpollPrlimitFact("with no descriptor free, a thread the thread pool starts can abort the runtime (see the summary)")]
    public async Task Held_at_the_limit_accept_fails_for_seconds_without_a_spin_logs_once_and_resumes_when_descriptors_free_up()
    {
        const int Held = 20;

        await using var backend = TestBackend.Echo();
        var listener = TestConfigs.ClosedPort();
        var admin = TestConfigs.ClosedPort();
        var token = Guid.NewGuid().ToString("N");
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint, listener.ToString(), (admin.ToString(), token)));
        var held = new List<Socket>();
        var pending = new List<Socket>();
        try
        {
            await using var process = BalancerProcess.Start(WithoutTieredJit, "run", "--config", path);
            using var http = AdminClient(admin, token); // keeps its connection: it needs no new descriptor later
            await WaitForHealthzAsync(http);
            for (var i = 0; i < Held; i++)
            {
                var client = await SocketExtensions.ConnectToAsync(listener);
                held.Add(client);
                Assert.Equal(Outcome.Served, await ProbeAsync(client, TimeSpan.FromSeconds(10)));
            }

            await ProcFs.WaitForQuietAsync(process.Id);
            var (_, hard) = ProcFs.OpenFilesLimit(process.Id);
            var soft = LowestFreeWithoutSpares(process.Id);
            await PrlimitAsync(process.Id, $"--nofile={soft}:");
            for (var i = 0; i < 3; i++)
            {
                pending.Add(await SocketExtensions.ConnectToAsync(listener)); // completed in the kernel's backlog
            }

            await process.WaitForLineAsync(@"listener main: accept failed \(TooManyOpenSockets\)", TimeSpan.FromSeconds(15));
            var failingSince = DateTime.UtcNow;

            double cpu;
            try
            {
                cpu = await ProcFs.QuietestCpuOverAsync(process.Id, CpuWindow, MaxCpuSecondsOverWindow);
            }
            catch (IOException) when (process.HasExited)
            {
                throw new Xunit.Sdk.XunitException("the balancer died at its descriptor limit:\n" + process.Transcript(40));
            }

            Assert.False(process.HasExited, "the balancer died at its descriptor limit:\n" + process.Transcript(40));
            Assert.True(cpu < MaxCpuSecondsOverWindow, $"the balancer used {cpu:F2} s of CPU in the quietest of 3 windows of {CpuWindow.TotalSeconds} s while accept failed with EMFILE (a spinning accept loop?)");

            // The CPU figure is only worth something if accept was failing all along.
            Assert.Empty(process.Matches("listener main: accepting again"));

            // Open connections keep working at the limit: a line on each, and 1 MiB both ways on one.
            foreach (var client in held)
            {
                Assert.Equal(Outcome.Served, await ProbeAsync(client, TimeSpan.FromSeconds(10)));
            }

            await BulkEchoAsync(held[0], 1024 * 1024, TimeSpan.FromSeconds(30));

            // Still failing, and logged once per interval: one line (more only if this ran past an interval).
            Assert.Empty(process.Matches("listener main: accepting again"));
            var failureLines = process.Matches("listener main: accept failed").Count;
            Assert.InRange(failureLines, 1, 1 + (int)((DateTime.UtcNow - failingSince) / AcceptFailures.LogInterval));

            await PrlimitAsync(process.Id, $"--nofile={hard}:");
            var recovered = await process.WaitForLineAsync(@"listener main: accepting again after (\d+) failed accepts", TimeSpan.FromSeconds(15));

            // Many attempts (each loop every 100 ms for seconds), few lines: not one line per attempt.
            var failedAccepts = int.Parse(recovered.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(failedAccepts >= 10 * failureLines, $"{failedAccepts} failed accepts, {failureLines} log lines");

            // The backlog is accepted: each served, or refused while the budget still follows the low limit.
            foreach (var client in pending)
            {
                Assert.NotEqual(Outcome.Hung, await ProbeAsync(client, TimeSpan.FromSeconds(10)));
            }

            await Deadline.UntilAsync(async () => await DescriptorLimitAsync(http) == hard, because: "the budget to follow the raised soft limit");
            using (var again = await SocketExtensions.ConnectToAsync(listener))
            {
                Assert.Equal(Outcome.Served, await ProbeAsync(again, TimeSpan.FromSeconds(10)));
            }

            foreach (var client in held)
            {
                Assert.Equal(Outcome.Served, await ProbeAsync(client, TimeSpan.FromSeconds(10)));
            }

            Assert.False(process.HasExited);
            await StopCleanlyAsync(process, held.Concat(pending));
        }
        finally
        {
            foreach (var client in held.Concat(pending))
            {
                client.Dispose();
            }

            File.Delete(path);
        }
    }

    /// <summary>
    /// The lowest descriptor number <paramref name="pid"/> would have free once its spare descriptors
    /// (the ones open on /dev/null) are released: as a soft limit, it leaves no number below it to open.
    /// </summary>
    private static int LowestFreeWithoutSpares(int pid)
    {
        var used = new HashSet<int>();
        foreach (var entry in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(entry).LinkTarget;
            if (target is not null && target != "/dev/null")
            {
                used.Add(int.Parse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var lowest = 0;
        while (used.Contains(lowest))
        {
            lowest++;
        }

        return lowest;
    }

    private static HttpClient AdminClient(IPEndPoint admin, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{admin}"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static Task WaitForHealthzAsync(HttpClient http) => Deadline.UntilAsync(async () =>
    {
        try
        {
            using var healthz = await http.GetAsync("/healthz");
            return healthz.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false; // not bound yet
        }
    }, because: "the balancer to start");

    private static async Task<long> DescriptorLimitAsync(HttpClient http) =>
        JsonDocument.Parse(await http.GetStringAsync("/api/status")).RootElement.GetProperty("descriptors").GetProperty("limit").GetInt64();

    private static async Task PrlimitAsync(int pid, string limit)
    {
        var (code, output, errors) = await ExternalTool.RunAsync(PrlimitFactAttribute.Path!, ["--pid", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), limit]);
        Assert.True(code == 0, $"prlimit {limit} failed: {output}{errors}");
    }

    /// <summary>Sends <paramref name="length"/> bytes through the echo backend while reading them back, and compares.</summary>
    private static async Task BulkEchoAsync(Socket socket, int length, TimeSpan timeout)
    {
        var token = Deadline.After(timeout);
        var sent = new byte[length];
        Random.Shared.NextBytes(sent);
        var received = new byte[length];
        var sending = socket.SendAllAsync(sent, token);
        var total = 0;
        while (total < length)
        {
            var n = await socket.ReceiveAsync(received.AsMemory(total), SocketFlags.None, token);
            Assert.True(n > 0, $"the connection closed after {total} of {length} echoed bytes");
            total += n;
        }

        await sending;
        Assert.True(received.AsSpan().SequenceEqual(sent), "the echoed bytes differ from those sent");
    }

    /// <summary>Sends a line and reads it back: served (echoed through the balancer), closed (FIN or reset), or hung.</summary>
    private static async Task<Outcome> ProbeAsync(Socket socket, TimeSpan timeout)
    {
        var token = Deadline.After(timeout);
        var line = Encoding.ASCII.GetBytes("ping\n");
        var received = new byte[line.Length];
        try
        {
            if (!socket.Connected)
            {
                return Outcome.Hung;
            }

            await socket.SendAllAsync(line, token);
            var total = 0;
            while (total < received.Length)
            {
                var n = await socket.ReceiveAsync(received.AsMemory(total), SocketFlags.None, token);
                if (n == 0)
                {
                    return Outcome.Closed;
                }

                total += n;
            }

            return received.AsSpan().SequenceEqual(line) ? Outcome.Served : Outcome.Closed;
        }
        catch (SocketException)
        {
            return Outcome.Closed;
        }
        catch (OperationCanceledException)
        {
            return Outcome.Hung;
        }
    }

    /// <summary>Closes the test's clients (else SIGTERM would wait drain_timeout for them) and expects a clean exit.</summary>
    private static async Task StopCleanlyAsync(BalancerProcess process, IEnumerable<Socket> clients)
    {
        foreach (var client in clients)
        {
            client.Dispose();
        }

        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
    }
}
