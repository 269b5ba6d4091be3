using L4Balancer.LoadTest.Cli;

namespace L4Balancer.LoadTest.Server;

/// <summary><c>serve</c>: run an <see cref="InProcessServer"/> for <c>--duration</c> (default 60s), then exit.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(LoadTestOptions options)
    {
        await using var server = InProcessServer.Start(options.Listen!, options.ServeKind);
        Console.WriteLine($"serving {options.ServeKind.ToString().ToLowerInvariant()} on {server.EndPoint} for {options.Duration.TotalSeconds:0.###}s");
        await Console.Out.FlushAsync().ConfigureAwait(false);
        await Task.Delay(options.Duration).ConfigureAwait(false);
        Console.WriteLine($"accepted {server.Accepted} connections");
        return 0;
    }
}
