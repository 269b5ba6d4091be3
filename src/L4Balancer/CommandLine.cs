using L4Balancer.Hosting;

namespace L4Balancer;

/// <summary>The parsed command line (SPEC "Command line").</summary>
internal sealed record CommandLine(string Command, string? ConfigPath, LogFormat LogFormat, string? Error)
{
    public const string Usage = """
        usage:
          l4balancer run --config FILE [--log-format console|json]   run until SIGTERM/SIGINT
          l4balancer --config FILE [--log-format console|json]       same as run
          l4balancer check --config FILE                             validate and summarise a config
          l4balancer demo [--log-format console|json]                two demo backends behind a balancer on 127.0.0.1
          l4balancer --version                                       print the version
        """;

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        string? command = null;
        string? config = null;
        var format = LogFormat.Console;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--version" or "-V":
                    return new CommandLine("version", null, format, null);
                case "--help" or "-h" or "help":
                    return new CommandLine("help", null, format, null);
                case "--config" or "-c":
                    if (i + 1 >= args.Count)
                    {
                        return Fail("--config needs a file");
                    }

                    if (config is not null)
                    {
                        // One file is read and reloaded; which of two would be is a guess either way
                        // (issue 17). Several files are one file with include = [...].
                        return Fail($"--config is given twice (\"{config}\" and \"{args[i + 1]}\"); give one file, and include others from it (include = [...])");
                    }

                    config = args[++i];
                    break;
                case "--log-format":
                    if (i + 1 >= args.Count || !TryParseFormat(args[++i], out format))
                    {
                        return Fail("--log-format takes console or json");
                    }

                    break;
                case "run" or "check" or "demo" when command is null:
                    command = arg;
                    break;
                default:
                    return Fail($"unknown argument \"{arg}\"");
            }
        }

        command ??= config is not null ? "run" : null;
        return command switch
        {
            null => Fail("no command given"),
            "run" or "check" when config is null => Fail($"{command} needs --config FILE"),
            "demo" when config is not null => Fail("demo runs on its embedded config; it takes no --config"),
            _ => new CommandLine(command, config, format, null),
        };

        CommandLine Fail(string message) => new("error", null, format, message);
    }

    private static bool TryParseFormat(string text, out LogFormat format)
    {
        switch (text)
        {
            case "console":
                format = LogFormat.Console;
                return true;
            case "json":
                format = LogFormat.Json;
                return true;
            default:
                format = LogFormat.Console;
                return false;
        }
    }
}
