using System.Globalization;
using System.Runtime.InteropServices;
using L4Balancer.LoadTest.Cli;

namespace L4Balancer.LoadTest.Server;

/// <summary>
/// <c>serve</c>: run an <see cref="InProcessServer"/> (or, for <c>--kind stream</c>, a
/// <see cref="ChunkStreamServer"/>) for <c>--duration</c> (default 60s) or until SIGTERM/SIGINT,
/// then exit. The stream kind reports its streams and its own CPU at the end: it is a process of
/// its own beside the proxy under test, and its cost is part of what the machine carries.
/// </summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(LoadTestOptions options)
    {
        using var stop = new CancellationTokenSource();
        // compare.sh stops the backend with SIGTERM: end the wait, so the summary below is printed.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        var cpu = Environment.CpuUsage.TotalTime;
        var wall = Timing.Clock.Now;
        if (options.ServeKind == ServerKind.Stream)
        {
            var settings = new ChunkStreamSettings(options.ChunkBytes, options.ChunkInterval, options.StreamDuration);
            var server = ChunkStreamServer.Start(options.Listen!, settings);
            await using (server.ConfigureAwait(false))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"serving stream on {server.EndPoint} for {options.Duration.TotalSeconds:0.###}s: per request {settings.Count} chunks of {settings.ChunkBytes} B, one every {settings.Interval.TotalMilliseconds:0.###} ms"));
                await Console.Out.FlushAsync().ConfigureAwait(false);
                await WaitAsync(options.Duration, stop.Token).ConfigureAwait(false);
            }

            var seconds = Timing.Clock.Seconds(Timing.Clock.Now - wall);
            var used = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
            var lag = server.SendLag;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"accepted {server.Accepted} connections; streams started {server.Started}, completed {server.Completed}, aborted by the client {server.Aborted}; chunks sent {server.Chunks}, short sends {server.ShortSends}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"send lag (send − due) ms: p50 {lag.P50Us / 1000.0:0.000}  p99 {lag.P99Us / 1000.0:0.000}  p99.9 {lag.P999Us / 1000.0:0.000}  max {lag.MaxUs / 1000.0:0.000}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cpu: {used:0.00} s over {seconds:0.0} s = {used / seconds:0.000} cores ({used / Math.Max(1, server.Chunks) * 1e6:0.0} µs per chunk)"));
            return 0;
        }

        if (options.ServeKind == ServerKind.Llm)
        {
            await ServeLlmAsync(options, stop.Token).ConfigureAwait(false);
            var seconds = Timing.Clock.Seconds(Timing.Clock.Now - wall);
            var used = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cpu: {used:0.00} s over {seconds:0.0} s = {used / seconds:0.000} cores"));
            return 0;
        }

        await using var plain = InProcessServer.Start(options.Listen!, options.ServeKind);
        Console.WriteLine($"serving {options.ServeKind.ToString().ToLowerInvariant()} on {plain.EndPoint} for {options.Duration.TotalSeconds:0.###}s");
        await Console.Out.FlushAsync().ConfigureAwait(false);
        await WaitAsync(options.Duration, stop.Token).ConfigureAwait(false);
        Console.WriteLine($"accepted {plain.Accepted} connections");
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static async Task ServeLlmAsync(LoadTestOptions options, CancellationToken stop)
    {
        var settings = new Llm.LlmSettings(options.Slots, options.PrefillMicrosecondsPerByte, options.TokenRate, options.Tokens,
            options.ChunkBytes, options.KvCapacityTokens, options.ModelName);
        var server = Llm.LlmServer.Start(options.Listen!, settings, options.MetricsListen, options.AgentListen);
        await using (server.ConfigureAwait(false))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"serving llm on {server.EndPoint} (GET /metrics there too{(server.MetricsEndPoint is { } m ? $" and on {m}" : "")}{(server.AgentEndPoint is { } a ? $"; agent on {a}" : "; no agent port")}) for {options.Duration.TotalSeconds:0.###}s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model {settings.ModelName}: {settings.Slots} slots, prefill {settings.PrefillMicrosecondsPerByte:0.###} µs/byte, {settings.TokenRate:0.###} tokens/s per slot, tokens {(settings.FixedTokens is { } t ? t.ToString(CultureInfo.InvariantCulture) : "as asked")}, {settings.ChunkBytes} B per token event, KV capacity {settings.KvCapacityTokens} tokens"));
            await Console.Out.FlushAsync(stop).ConfigureAwait(false);
            await WaitAsync(options.Duration, stop).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"accepted {server.Accepted} connections ({server.Probes} closed without a request); requests {server.Requests}, completed {server.Completed}, aborted by the client {server.Aborted}, bad {server.BadRequests}; tokens {server.Tokens}; longest queue {server.PeakWaiting}; /metrics answered {server.MetricsServed}, agent {server.AgentServed}"));
        }
    }

    private static async Task WaitAsync(TimeSpan duration, CancellationToken stop)
    {
        try
        {
            await Task.Delay(duration, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
