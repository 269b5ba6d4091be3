using L4Balancer.LoadTest.Cli;
using L4Balancer.LoadTest.Scenarios;
using L4Balancer.LoadTest.Scenarios.Soak;
using L4Balancer.LoadTest.SelfTest;
using L4Balancer.LoadTest.Server;

namespace L4Balancer.LoadTest;

internal static class Program
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;

    /// <summary>
    /// Socket completions run on the epoll thread instead of hopping to the thread pool. Every
    /// continuation here is short and never blocks, and the hop is most of what a request costs:
    /// rr at 20 000 req/s against nginx took 0.50–0.58 of a core with inline completions against
    /// 0.79–0.82 without, and service p50 fell from 63 to 40 µs (2026-11-24, 2-core VM). The runtime
    /// reads this variable when the first socket operation starts, so setting it first thing in Main
    /// is enough; a value already in the environment (e.g. 0) wins.
    /// </summary>
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static bool InlineCompletionsEnabled => Environment.GetEnvironmentVariable(InlineCompletions) == "1";

    public static async Task<int> Main(string[] args)
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }

        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage.Text);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }

        if (!OptionParser.TryParse(args, out var options, out var error))
        {
            Console.Error.WriteLine($"loadtest: {error}");
            Console.Error.WriteLine("loadtest: --help lists the commands and options");
            return ExitUsage;
        }

        if (options.Pid is { } pid && !ProcessMemory.TryReadRss(pid, out _, out _))
        {
            Console.Error.WriteLine($"loadtest: --pid {pid}: cannot read /proc/{pid}/smaps_rollup or /proc/{pid}/status");
            return ExitUsage;
        }

        if (options.Command == "soak" && SoakBalancer.Find(options.BalancerPath) is null)
        {
            Console.Error.WriteLine(options.BalancerPath is null
                ? "loadtest: soak: no Release build of l4balancer found; run `dotnet build -c Release src/L4Balancer` or pass --balancer PATH"
                : $"loadtest: soak: --balancer {options.BalancerPath}: no such file");
            return ExitUsage;
        }

        try
        {
            return options.Command switch
            {
                "selftest" => await SelfTestCommand.RunAsync().ConfigureAwait(false),
                "serve" => await ServeCommand.RunAsync(options).ConfigureAwait(false),
                _ => await RunScenarioAsync(options).ConfigureAwait(false),
            };
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("loadtest: the scenario did not stop by its hard deadline; giving up");
            return ExitFailed;
        }
    }

    private static async Task<int> RunScenarioAsync(LoadTestOptions options)
    {
        await ScenarioHost.RunAsync(options, Console.Out).ConfigureAwait(false);
        return ExitOk;
    }
}
