using System.Net.Sockets;
using L4Balancer.Core.Transport.Epoll;
using L4Balancer.TestSupport.Platform;

namespace L4Balancer.Tests.Transport.Epoll;

public class EpollLoopTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [LinuxFact]
    public async Task Posted_work_runs_on_the_loop_thread_in_order()
    {
        using var loop = new EpollLoop("test-loop", TimeProvider.System);
        var seen = new List<(int Item, bool OnLoop)>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < 100; i++)
        {
            loop.Post(state => seen.Add(((int)state!, loop.IsOnLoop)), i);
        }

        loop.Post(_ => done.SetResult(), null);
        await done.Task.WaitAsync(Deadline);

        Assert.Equal(Enumerable.Range(0, 100), seen.Select(s => s.Item));
        Assert.All(seen, s => Assert.True(s.OnLoop));
        Assert.False(loop.IsOnLoop);
    }

    [LinuxFact]
    public async Task A_registered_socket_reports_readable_once_bytes_arrive_and_not_after_unregistering()
    {
        using var loop = new EpollLoop("test-loop", TimeProvider.System);
        using var pair = await LoopbackPair.ConnectAsync();
        var fd = (int)pair.Server.Handle;
        var handler = new RecordingHandler();
        var registered = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(_ => registered.SetResult(loop.Register(fd, EpollEvents.In | EpollEvents.EdgeTriggered, handler)), null);
        var token = await registered.Task.WaitAsync(Deadline);
        Assert.True(token >= 0, $"epoll_ctl failed: errno {-token}");

        pair.Client.Send("x"u8);
        var events = await handler.Next.WaitAsync(Deadline);
        Assert.True(events.HasFlag(EpollEvents.In));

        var unregistered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(_ => { loop.Unregister(fd, token); unregistered.SetResult(); }, null);
        await unregistered.Task.WaitAsync(Deadline);
        handler.Reset();
        pair.Client.Send("y"u8);

        // On loopback the bytes are in the receiver's queue when Send returns, so the turn this post
        // wakes would have handled the socket's event too, had it still been watched.
        var turned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.Post(_ => turned.SetResult(), null);
        await turned.Task.WaitAsync(Deadline);
        Assert.False(handler.Next.IsCompleted);
    }

    [LinuxFact]
    public async Task Timers_fire_on_the_loop_in_deadline_order_and_a_cancelled_one_never()
    {
        using var loop = new EpollLoop("test-loop", TimeProvider.System);
        var fired = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = new LoopTimer(_ => { fired.Add("late"); done.SetResult(); }, null);
        var early = new LoopTimer(_ => fired.Add("early"), null);
        var cancelled = new LoopTimer(_ => fired.Add("cancelled"), null);
        loop.Post(_ =>
        {
            loop.Arm(late, TimeSpan.FromMilliseconds(60));
            loop.Arm(cancelled, TimeSpan.FromMilliseconds(20));
            loop.Arm(early, TimeSpan.FromMilliseconds(10));
            loop.Cancel(cancelled);
        }, null);

        await done.Task.WaitAsync(Deadline);

        Assert.Equal(["early", "late"], fired);
        Assert.False(late.IsArmed);
    }

    [LinuxFact]
    public void Registering_off_the_loop_thread_is_refused()
    {
        using var loop = new EpollLoop("test-loop", TimeProvider.System);
        Assert.Throws<InvalidOperationException>(() => loop.Register(0, EpollEvents.In, new RecordingHandler()));
        Assert.Throws<InvalidOperationException>(() => loop.Arm(new LoopTimer(static _ => { }, null), TimeSpan.Zero));
    }

    private sealed class RecordingHandler : IEpollHandler
    {
        private TaskCompletionSource<EpollEvents> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<EpollEvents> Next => Volatile.Read(ref _next).Task;

        public void Reset() => Volatile.Write(ref _next, new TaskCompletionSource<EpollEvents>(TaskCreationOptions.RunContinuationsAsynchronously));

        public void OnEvents(EpollEvents events) => Volatile.Read(ref _next).TrySetResult(events);
    }
}
