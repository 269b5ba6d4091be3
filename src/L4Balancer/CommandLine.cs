using System.Text;
using L4Balancer.Hosting;

namespace L4Balancer;

/// <summary>The parsed command line (SPEC "Command line").</summary>
internal sealed record CommandLine(string Command, string? ConfigPath, LogFormat LogFormat, string? Error)
{
    /// <summary>
    /// Every command <see cref="Parse"/> accepts. <c>--help</c> is printed from this list and the parser
    /// looks words up in it, so the two cannot drift apart (a test parses each entry and reads the help).
    /// </summary>
    public static IReadOnlyList<CommandLineCommand> Commands { get; } =
    [
        new("run", "--config FILE [--log-format console|json]", "run in the foreground until SIGTERM/SIGINT (the default when --config is given)"),
        new("check", "--config FILE", "validate a config file and print a summary; exit 0 valid, 2 invalid"),
        new("demo", "[--log-format console|json]", "two demo backends behind a balancer on 127.0.0.1, until Ctrl-C"),
        new("help", "", "print this help"),
    ];

    /// <summary>Every option <see cref="Parse"/> accepts (see <see cref="Commands"/>).</summary>
    public static IReadOnlyList<CommandLineOption> Options { get; } =
    [
        new("--config", "-c", "FILE", "the config file (TOML) for run and check"),
        new("--log-format", null, "console|json", "console lines (default), or one JSON object per line"),
        new("--version", "-V", null, "print the version, the commit it was built from and the .NET runtime"),
        new("--help", "-h", null, "print this help"),
    ];

    public static string Usage { get; } = FormatUsage();

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        string? command = null;
        string? config = null;
        var format = LogFormat.Console;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (Options.FirstOrDefault(o => o.Matches(arg)) is { } option)
            {
                switch (option.Name)
                {
                    case "--version":
                        return new CommandLine("version", null, format, null);
                    case "--help":
                        return new CommandLine("help", null, format, null);
                    case "--config":
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
                    default:
                        throw new InvalidOperationException($"the option {option.Name} is listed but not parsed");
                }
            }
            else if (arg == "help")
            {
                return new CommandLine("help", null, format, null);
            }
            else if (command is null && Commands.Any(c => c.Name == arg))
            {
                command = arg;
            }
            else
            {
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

    private static string FormatUsage()
    {
        // Synopses padded to one column, as `ip help` or `systemctl --help` print theirs.
        var commands = Commands.Select(c => ($"l4balancer {c.Synopsis}", c.Description)).ToList();
        var options = Options.Select(o => (o.Synopsis, o.Description)).ToList();
        var width = commands.Concat(options).Max(row => row.Item1.Length) + 3;
        var text = new StringBuilder();
        text.AppendLine("usage: l4balancer COMMAND [OPTIONS]");
        text.AppendLine();
        text.AppendLine("commands:");
        foreach (var (synopsis, description) in commands)
        {
            text.Append("  ").Append(synopsis.PadRight(width)).AppendLine(description);
        }

        text.AppendLine();
        text.AppendLine("options:");
        foreach (var (synopsis, description) in options)
        {
            text.Append("  ").Append(synopsis.PadRight(width)).AppendLine(description);
        }

        return text.ToString().TrimEnd();
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
