namespace L4Balancer.Hosting;

/// <summary>Process-wide runtime settings that must be in place before the first socket exists.</summary>
internal static class RuntimeTuning
{
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns on inline socket completions unless the operator chose otherwise (set the variable to
    /// <c>0</c> to keep the runtime's default). By default .NET queues every epoll completion to the
    /// thread pool; a relay does almost nothing per completion, so the queue hop, the wake-ups and the
    /// pool's spinning were most of its cost. Measured on the 2-core VM (bench/README.md, "levers"):
    /// per proxied request, epoll_wait calls fell from 1.65 to 0.3 and sched_yield from 1.3 to 0.07
    /// (strace -c), and keep-alive requests/s through compare.sh rose from 0.68 to 0.92 × HAProxy.
    /// The price: continuations run on the event thread, so nothing in the data path may block; it
    /// does not (socket I/O, pipe flushes, short locks, and a console logger that drops rather than
    /// waits when its queue is full, see <see cref="BalancerHost"/>).
    /// The runtime reads the variable once, when its socket engine starts, hence: first thing in Main.
    /// </summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }
}
