using L4Balancer.Core.Config;
using L4Balancer.Core.Handover;
using L4Balancer.Core.Telemetry;
using L4Balancer.Demo;
using L4Balancer.Hosting;

namespace L4Balancer;

internal static class Program
{
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
                return ExitCodes.Ok;
            case "help":
                Console.WriteLine(CommandLine.Usage);
                return ExitCodes.Ok;
            case "error":
                Console.Error.WriteLine($"l4balancer: {command.Error}");
                Console.Error.WriteLine(CommandLine.Usage);
                return ExitCodes.BadConfig;
            case "check":
                return Check(command.ConfigPath!);
            case "run":
                return await RunAsync(command.ConfigPath!, command.LogFormat);
            case "demo":
                return await DemoCommand.RunAsync(command.LogFormat);
            default:
                Console.Error.WriteLine($"l4balancer: unknown command {command.Command}");
                return ExitCodes.BadConfig;
        }
    }

    private static int Check(string path)
    {
        var result = ConfigLoader.LoadFile(path);
        if (!result.IsValid)
        {
            ConfigErrors.Print(result);
            return ExitCodes.BadConfig;
        }

        Console.WriteLine($"{path}: ok");
        Console.Write(ConfigSummary.Format(result.Config));
        ConfigErrors.PrintWarnings(result);
        return ExitCodes.Ok;
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
                ConfigErrors.Print(result);
                activated?.Dispose();
                return ExitCodes.BadConfig;
            }

            ConfigErrors.PrintWarnings(result);

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
            return ExitCodes.Fatal;
        }

        if (!result.IsValid)
        {
            ConfigErrors.Print(result);
            await successor.FailAsync(result.Errors.Select(e => e.ToString()), handshake.Token);
            successor.Dispose();
            return ExitCodes.BadConfig;
        }

        try
        {
            await successor.ReceiveStateAsync(Version, handshake.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException or InvalidDataException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"l4balancer: upgrade: the handover from pid {handover.Parent} failed: {ex.Message}");
            successor.Dispose();
            return ExitCodes.Fatal;
        }

        return await BalancerHost.RunAsync(result.Config, format, configPath: path, successor: successor);
    }
}
