using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Telemetry;
using L4Balancer.Demo;
using L4Balancer.Hosting;

namespace L4Balancer;

internal static class Program
{
    public const int ExitOk = 0;
    public const int ExitFatal = 1;
    public const int ExitBadConfig = 2;

    public static string Version => BuildInfo.Current.Version;

    public static async Task<int> Main(string[] args)
    {
        _ = ProcessCommand.Current; // the executable's path as it is now, before a deploy can replace it
        RuntimeTuning.Apply();
        var command = CommandLine.Parse(args);
        switch (command.Command)
        {
            case "version":
                Console.WriteLine($"l4balancer {Version}");
                return ExitOk;
            case "help":
                Console.WriteLine(CommandLine.Usage);
                return ExitOk;
            case "error":
                Console.Error.WriteLine($"l4balancer: {command.Error}");
                Console.Error.WriteLine(CommandLine.Usage);
                return ExitBadConfig;
            case "check":
                return Check(command.ConfigPath!);
            case "run":
                return await RunAsync(command.ConfigPath!, command.LogFormat);
            case "demo":
                return await DemoCommand.RunAsync(command.LogFormat);
            default:
                Console.Error.WriteLine($"l4balancer: unknown command {command.Command}");
                return ExitBadConfig;
        }
    }

    private static int Check(string path)
    {
        var result = ConfigLoader.LoadFile(path);
        if (!result.IsValid)
        {
            PrintErrors(result);
            return ExitBadConfig;
        }

        Console.WriteLine($"{path}: ok");
        Console.Write(ConfigSummary.Format(result.Config));
        return ExitOk;
    }

    private static async Task<int> RunAsync(string path, LogFormat format)
    {
        var upgrade = UpgradeSuccessor.FromEnvironment();
        var activated = SystemdSockets.FromEnvironment();
        var result = ConfigLoader.LoadFile(path);
        if (upgrade is not { } handover)
        {
            if (!result.IsValid)
            {
                PrintErrors(result);
                activated?.Dispose();
                return ExitBadConfig;
            }

            return await BalancerHost.RunAsync(result.Config, format, configPath: path, activated: activated);
        }

        activated?.Dispose(); // a successor serves the sockets its predecessor hands over

        // Started by a running balancer's SIGUSR2: its upgrade_timeout bounds everything until "ready".
        using var handshake = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        UpgradeSuccessor successor;
        try
        {
            successor = await UpgradeSuccessor.ConnectAsync(handover.Channel, handover.Parent, handshake.Token);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            Console.Error.WriteLine($"l4balancer: upgrade: cannot reach the running process (pid {handover.Parent}): {ex.Message}");
            return ExitFatal;
        }

        if (!result.IsValid)
        {
            PrintErrors(result);
            await successor.FailAsync(result.Errors.Select(e => e.ToString()), handshake.Token);
            successor.Dispose();
            return ExitBadConfig;
        }

        try
        {
            await successor.ReceiveStateAsync(Version, handshake.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException or InvalidDataException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"l4balancer: upgrade: the handover from pid {handover.Parent} failed: {ex.Message}");
            successor.Dispose();
            return ExitFatal;
        }

        return await BalancerHost.RunAsync(result.Config, format, configPath: path, successor: successor);
    }

    public static void PrintErrors(ConfigLoadResult result)
    {
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine(error);
        }
    }
}
