using System.Net;
using System.Net.Sockets;
using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Net;
using L4Balancer.LoadTest.Stats;
using L4Balancer.LoadTest.Timing;

namespace L4Balancer.LoadTest.Scenarios;

/// <summary>
/// One bulk stream: a send loop writing one pre-filled buffer until the window ends, and a receive
/// loop counting what comes back. The receive loop also runs in send mode, so an echo target cannot
/// stall the sender by filling its own send buffer.
/// </summary>
internal sealed class BulkConnection(IPEndPoint target, int bufferSize, RunClock clock, ErrorCounters errors, TimeSpan timeout)
{
    private long _sent;
    private long _received;

    /// <summary>Set when the send loop is done: from then on, a close or reset is our own doing, not an error.</summary>
    private volatile bool _stopping;

    public long SentBytes => Volatile.Read(ref _sent);
    public long ReceivedBytes => Volatile.Read(ref _received);

    public async Task RunAsync(BulkMode mode)
    {
        Socket socket;
        try
        {
            socket = await SocketIo.ConnectAsync(target, timeout, clock.HardStop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            errors.Add(e is OperationCanceledException ? ErrorKind.Timeout : ErrorKind.Connect, SocketIo.Describe(e), measured: true);
            return;
        }

        using (socket)
        using (clock.HardStop.Register(static s => ((Socket)s!).Dispose(), socket))
        {
            var receiving = ReceiveAsync(socket, mode);
            await SendAsync(socket).ConfigureAwait(false);
            _stopping = true;
            if (mode == BulkMode.Echo)
            {
                // Let the echo of what is in flight come back; the window has closed, so it is not counted.
                try
                {
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                }

                await Task.WhenAny(receiving, Task.Delay(TimeSpan.FromMilliseconds(200))).ConfigureAwait(false);
            }

            socket.Dispose();
            await receiving.ConfigureAwait(false);
        }
    }

    private async Task SendAsync(Socket socket)
    {
        var buffer = new byte[bufferSize];
        Random.Shared.NextBytes(buffer);
        try
        {
            while (Clock.Now < clock.MeasureEnd)
            {
                var sent = await socket.SendAsync(buffer, SocketFlags.None, clock.WindowEnd).ConfigureAwait(false);
                Volatile.Write(ref _sent, _sent + sent);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!clock.WindowEnd.IsCancellationRequested)
            {
                errors.Add(ErrorKind.Send, SocketIo.Describe(e), clock.InWindow(Clock.Now));
            }
        }
    }

    private async Task ReceiveAsync(Socket socket, BulkMode mode)
    {
        var buffer = new byte[bufferSize];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    if (mode == BulkMode.Echo && !_stopping)
                    {
                        errors.Add(ErrorKind.Eof, "the echo target closed the stream", clock.InWindow(Clock.Now));
                    }

                    return;
                }

                Volatile.Write(ref _received, _received + received);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!_stopping)
            {
                errors.Add(ErrorKind.Receive, SocketIo.Describe(e), clock.InWindow(Clock.Now));
            }
        }
    }
}
