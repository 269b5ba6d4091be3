using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using L4Balancer.IntegrationTests.Infrastructure;
using L4Balancer.IntegrationTests.Ops;
using L4Balancer.LoadTest.Scenarios;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Proxy;

/// <summary>
/// Issue 14: a backend that stops reading while the client sends 50 MiB. The balancer must stop reading
/// from the client (backpressure reaches the client, whose sends block) instead of buffering, and lose
/// nothing when the backend resumes. Against the real executable, on the suite's transport, so that
/// /proc/PID is the balancer's alone: its RSS and the pipes it holds (the epoll transport splices
/// through pooled 64 KiB pipes; an idle balancer holds some pooled already, so the change is measured).
/// What is in flight sits in kernel socket buffers (the client's send buffer, the balancer's receive
/// and send buffers, the backend's receive buffer, all autotuned by the kernel): that is not the
/// balancer's memory and is not bounded here, only required to be well short of the 50 MiB.
/// </summary>
public class StalledBackendMemoryTests(ITestOutputHelper output)
{
    private const int Total = 50 * 1024 * 1024;
    private const int Chunk = 64 * 1024;

    // Far below the 50 MiB a buffering relay would take, far above what was measured (under 1 MiB on
    // either transport): the machine is shared and RSS moves with GC and JIT, so the bound is wide.
    private const long MaxRssGrowth = 16L * 1024 * 1024;

    // One pipe per direction at most for one connection (both ends of a pipe are one entry here).
    private const int MaxPipesAdded = 2;
    private const long MaxQueuedInPipes = 2 * 64 * 1024;

    [Fact]
    public async Task A_backend_that_stops_reading_50_MiB_keeps_the_balancer_bounded_blocks_the_client_and_loses_nothing()
    {
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new TaskCompletionSource<(long Bytes, byte[] Hash)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connections = 0;
        await using var backend = TestBackend.Start(async socket =>
        {
            // The first connection only warms the path up; the second is the one that stalls.
            var stall = Interlocked.Increment(ref connections) > 1;
            if (stall)
            {
                await resume.Task;
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[256 * 1024];
            long bytes = 0;
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                bytes += n;
            }

            socket.Shutdown(SocketShutdown.Send);
            if (stall)
            {
                delivered.TrySetResult((bytes, hash.GetHashAndReset()));
            }
        });

        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint));
        try
        {
            await using var process = BalancerProcess.Start("run", "--config", path);
            var listening = await process.WaitForLineAsync(@"listener main accepting on (\d+\.\d+\.\d+\.\d+:\d+)");
            var endPoint = IPEndPoint.Parse(listening.Groups[1].Value);

            // Warm the path (JIT, the relay's buffers and pipes) with 8 MiB through, then take the baseline.
            using (var warm = await SocketExtensions.ConnectToAsync(endPoint))
            {
                await warm.SendAllAsync(Payload(8 * 1024 * 1024, seed: 1), Deadline.After(TimeSpan.FromSeconds(60)));
                warm.Shutdown(SocketShutdown.Send);
                await warm.ReadToEndAsync(Deadline.After(TimeSpan.FromSeconds(60)));
            }

            await ProcFs.WaitForQuietAsync(process.Id);
            var rssBefore = Rss(process.Id);
            var pipesBefore = ProcPipes.Read(process.Id);

            // The client sends 50 MiB as fast as its socket takes them; "accepted" counts what the socket took.
            var payload = Payload(Total, seed: 2);
            long accepted = 0;
            using var client = await SocketExtensions.ConnectToAsync(endPoint);
            var sending = Task.Run(async () =>
            {
                var token = Deadline.After(TimeSpan.FromSeconds(180));
                for (var offset = 0; offset < Total; offset += Chunk)
                {
                    await client.SendAllAsync(payload.AsMemory(offset, Chunk), token);
                    Interlocked.Add(ref accepted, Chunk);
                }

                client.Shutdown(SocketShutdown.Send);
            });

            // Every buffer on the way fills, then the client's send blocks: what its socket accepted stops growing.
            var stalledAt = await PlateauAsync(() => Interlocked.Read(ref accepted), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
            var rssStalled = Rss(process.Id);
            var pipesStalled = ProcPipes.Read(process.Id);
            var added = pipesStalled.Select(p => p.Inode).Except(pipesBefore.Select(p => p.Inode)).Count();
            var queued = pipesStalled.Sum(p => (long)p.Queued) - pipesBefore.Sum(p => (long)p.Queued);

            output.WriteLine($"transport {TestTransport.ConfigValue}: the client's socket accepted {stalledAt / 1048576.0:F1} MiB of {Total / 1048576} MiB before its send blocked");
            output.WriteLine($"balancer RSS: {rssBefore / 1048576.0:F1} MiB idle, {rssStalled / 1048576.0:F1} MiB stalled ({(rssStalled - rssBefore) / 1048576.0:+0.0;-0.0} MiB)");
            output.WriteLine($"balancer pipes: idle {ProcPipes.Describe(pipesBefore)}; stalled {ProcPipes.Describe(pipesStalled)}; {added} new");

            Assert.False(sending.IsCompleted, "the client sent all 50 MiB to a backend that reads nothing: backpressure never reached it");
            Assert.True(stalledAt > 0, "the client could send nothing at all");
            Assert.True(stalledAt < Total * 3 / 4, $"the client's socket accepted {stalledAt} of {Total} bytes with the backend reading nothing");
            Assert.True(rssStalled - rssBefore < MaxRssGrowth, $"the balancer's RSS grew by {rssStalled - rssBefore} bytes with the backend stalled");
            Assert.True(added <= MaxPipesAdded, $"{added} pipes opened for one stalled connection ({ProcPipes.Describe(pipesStalled)})");
            Assert.True(queued <= MaxQueuedInPipes, $"{queued} bytes more queued in the balancer's pipes ({ProcPipes.Describe(pipesStalled)})");

            // Still blocked a moment later: a plateau, not a slow patch.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            Assert.Equal(stalledAt, Interlocked.Read(ref accepted));

            // The backend reads again: all 50 MiB arrive, in order, and the client's send completes.
            resume.SetResult();
            var (bytes, hash) = await delivered.Task.WaitAsync(Deadline.After(TimeSpan.FromSeconds(120)));
            await sending.WaitAsync(Deadline.After(TimeSpan.FromSeconds(30)));
            Assert.Equal(Total, bytes);
            Assert.Equal(SHA256.HashData(payload), hash);
            Assert.Equal(string.Empty, System.Text.Encoding.ASCII.GetString(await client.ReadToEndAsync(Deadline.After()))); // the FIN came back

            Assert.False(process.HasExited);
            process.Signal(BalancerProcess.SIGTERM);
            Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static long Rss(int pid) => ProcessMemory.TryReadRss(pid, out var bytes, out _) ? bytes : throw new InvalidOperationException($"no RSS for {pid}");

    /// <summary>Polls <paramref name="read"/> until it has not changed for <paramref name="still"/> (and is past 0), within <paramref name="timeout"/>.</summary>
    private static async Task<long> PlateauAsync(Func<long> read, TimeSpan still, TimeSpan timeout)
    {
        var token = Deadline.After(timeout);
        var last = read();
        var since = DateTime.UtcNow;
        while (true)
        {
            if (token.IsCancellationRequested)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"the client's sends never stopped: {read()} bytes accepted"));
            }

            // Polling state that has no event to await: what the client's socket has taken.
            await Task.Delay(50, CancellationToken.None);
            var now = read();
            if (now != last || now == 0)
            {
                last = now;
                since = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - since >= still)
            {
                return now;
            }
        }
    }
}
