using L4Balancer.Core.Config;

namespace L4Balancer.Hosting;

/// <summary>Prints an invalid config's problems (SPEC: every one, one per line, <c>FILE:LINE: message</c>) for every command that loads one.</summary>
internal static class ConfigErrors
{
    /// <summary>The errors, then the warnings (which may explain an error, e.g. a listener whose tenant has none of its backends).</summary>
    public static void Print(ConfigLoadResult result)
    {
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine(error);
        }

        PrintWarnings(result);
    }

    /// <summary><c>FILE:LINE: warning: message</c>, as compilers print theirs, on stderr so the summary on stdout stays parseable.</summary>
    public static void PrintWarnings(ConfigLoadResult result)
    {
        foreach (var warning in result.Warnings)
        {
            Console.Error.WriteLine(Warning(warning));
        }
    }

    public static string Warning(ConfigError warning) => (warning with { Message = $"warning: {warning.Message}" }).ToString();
}
