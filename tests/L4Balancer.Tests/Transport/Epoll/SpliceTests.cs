using System.Security.Cryptography;
using L4Balancer.Core.Transport.Epoll;
using L4Balancer.TestSupport.Platform;

namespace L4Balancer.Tests.Transport.Epoll;

/// <summary>The kernel path the epoll relay is built on: socket → pooled pipe → socket with splice(2).</summary>
public class SpliceTests
{
    [LinuxFact]
    public void A_pipe_is_sized_to_the_requested_capacity_and_an_empty_one_is_reused()
    {
        using var pool = new PipePool(size: 64 * 1024, maxPooled: 1, maxOpen: 2);

        var first = pool.Rent()!;
        Assert.True(first.Capacity >= 64 * 1024, $"capacity {first.Capacity}");
        pool.Return(first);
        Assert.Same(first, pool.Rent());

        var second = pool.Rent();
        Assert.NotNull(second);
        Assert.Null(pool.Rent()); // maxOpen reached: the caller copies through user space instead
        Assert.Equal(2, pool.Open);

        pool.Return(first);
        pool.Return(second!); // the pool keeps one empty pipe: this one is closed
        Assert.Equal(1, pool.Open);
        Assert.Equal(1, pool.Pooled);
    }

    [LinuxFact]
    public void A_pipe_still_holding_bytes_is_closed_not_pooled()
    {
        using var pool = new PipePool(size: 64 * 1024, maxPooled: 4, maxOpen: 4);
        var pipe = pool.Rent()!;
        pipe.Buffered = 10;

        pool.Return(pipe);

        Assert.Equal(0, pool.Open);
        Assert.Equal(0, pool.Pooled);
    }

    [LinuxFact]
    public async Task Bytes_spliced_through_a_pipe_arrive_whole_and_in_order()
    {
        using var inbound = await LoopbackPair.ConnectAsync();
        using var outbound = await LoopbackPair.ConnectAsync();
        using var pool = new PipePool(size: 64 * 1024, maxPooled: 1, maxOpen: 1);
        var pipe = pool.Rent()!;
        var payload = RandomNumberGenerator.GetBytes(1024 * 1024);

        // Sender, relay and receiver take turns on this thread; the sockets are non-blocking for the relay.
        inbound.Server.Blocking = false;
        outbound.Client.Blocking = false;
        var sendTask = Task.Run(() => inbound.Client.Send(payload));
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (received.Length < payload.Length)
        {
            Assert.True(DateTime.UtcNow < deadline, $"stalled at {received.Length} bytes");
            var moved = SpliceOnce(inbound.Server, pipe, outbound.Client);
            if (outbound.Server.Available > 0)
            {
                received.Write(buffer, 0, outbound.Server.Receive(buffer));
            }
            else if (moved == 0)
            {
                Thread.Yield();
            }
        }

        await sendTask.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, pipe.Buffered);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received.ToArray()));
    }

    /// <summary>One round: socket → pipe while there is room, pipe → socket while it takes bytes.</summary>
    private static unsafe long SpliceOnce(System.Net.Sockets.Socket from, KernelPipe pipe, System.Net.Sockets.Socket to)
    {
        long moved = 0;
        var room = pipe.Capacity - pipe.Buffered;
        if (room > 0)
        {
            var n = LinuxNative.Splice((int)from.Handle, null, pipe.WriteFd, null, room, LinuxNative.SpliceMove | LinuxNative.SpliceNonblock);
            if (n > 0)
            {
                pipe.Buffered += (int)n;
                moved += n;
            }
            else
            {
                Assert.True(n == 0 || LinuxNative.Errno == LinuxNative.EAGAIN, $"splice in: errno {LinuxNative.Errno}");
            }
        }

        if (pipe.Buffered > 0)
        {
            var n = LinuxNative.Splice(pipe.ReadFd, null, (int)to.Handle, null, pipe.Buffered, LinuxNative.SpliceMove | LinuxNative.SpliceNonblock);
            if (n > 0)
            {
                pipe.Buffered -= (int)n;
                moved += n;
            }
            else
            {
                Assert.True(LinuxNative.Errno == LinuxNative.EAGAIN, $"splice out: errno {LinuxNative.Errno}");
            }
        }

        return moved;
    }
}
