using System.Net.Sockets;
using L4Balancer.Core.Flow;
using L4Balancer.Core.Transport.Sockets;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Proxy;

[Collection(MemorySensitiveCollection.Name)]
public class BackpressureTests
{
    private const long Total = 200L * 1024 * 1024;

    private static byte PatternAt(long position) => (byte)(position % 251);

    [Fact]
    public async Task Client_that_stops_reading_throttles_the_backend_and_memory_stays_bounded()
    {
        long written = 0;
        await using var backend = TestBackend.Start(async socket =>
        {
            var chunk = new byte[64 * 1024];
            for (long sent = 0; sent < Total; sent += chunk.Length)
            {
                for (var i = 0; i < chunk.Length; i++)
                {
                    chunk[i] = PatternAt(sent + i);
                }

                await socket.SendAllAsync(chunk, Deadline.After(TimeSpan.FromSeconds(120)));
                Interlocked.Add(ref written, chunk.Length);
            }

            socket.Shutdown(SocketShutdown.Send);
            await Handlers.HoldAsync(socket);
        });

        var pool = new CountingMemoryPool();
        var relay = new RelayOptions { Pool = pool };
        await using var balancer = await BalancerHarness.StartAsync(TestConfigs.PortRouted(backend), relay: relay);
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        using var client = await balancer.ConnectAsync();

        // The client reads nothing. Wait until the backend can write no more: every buffer on the
        // way (kernel socket buffers and the balancer's pipe) is full.
        long last = -1;
        var stableSince = DateTime.UtcNow;
        await Deadline.UntilAsync(() =>
        {
            var now = Interlocked.Read(ref written);
            if (now != last)
            {
                last = now;
                stableSince = DateTime.UtcNow;
                return false;
            }

            return DateTime.UtcNow - stableSince > TimeSpan.FromMilliseconds(500);
        }, TimeSpan.FromSeconds(60), "backend write progress never stalled");

        var stalledAt = Interlocked.Read(ref written);
        var heapStalled = GC.GetTotalMemory(forceFullCollection: true);

        Assert.True(stalledAt < Total / 4, $"backend wrote {stalledAt} bytes although the client read nothing");

        // The balancer holds at most a pipe's worth per direction: 64 KiB pause threshold plus one segment.
        Assert.True(pool.Peak <= 4 * relay.PauseThreshold, $"pooled bytes peaked at {pool.Peak}");
        Assert.True(heapStalled - heapBefore < 16 * 1024 * 1024, $"managed heap grew by {heapStalled - heapBefore} bytes");

        // Now read everything: all 200 MiB arrive, in order.
        var buffer = new byte[256 * 1024];
        long received = 0;
        var deadline = Deadline.After(TimeSpan.FromSeconds(120));
        while (true)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, deadline);
            if (n == 0)
            {
                break;
            }

            for (var i = 0; i < n; i++)
            {
                if (buffer[i] != PatternAt(received + i))
                {
                    Assert.Fail($"byte {received + i} is {buffer[i]}, expected {PatternAt(received + i)}");
                }
            }

            received += n;
        }

        Assert.Equal(Total, received);
        Assert.True(pool.Peak <= 4 * relay.PauseThreshold, $"pooled bytes peaked at {pool.Peak} while draining");
    }
}
