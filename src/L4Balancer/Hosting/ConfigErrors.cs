using L4Balancer.Core.Config;

namespace L4Balancer.Hosting;

/// <summary>Prints an invalid config's problems (SPEC: every one, one per line, <c>FILE:LINE: message</c>) for every command that loads one.</summary>
internal static class ConfigErrors
{
    public static void Print(ConfigLoadResult result)
    {
        PrintWarnings(result);
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine(error);
        }
    }

    /// <summary>Problems that do not make the config invalid, as <c>FILE:LINE: warning: message</c> (the compilers' habit).</summary>
    public static void PrintWarnings(ConfigLoadResult result)
    {
        foreach (var warning in result.Warnings)
        {
            Console.Error.WriteLine(warning with { Message = "warning: " + warning.Message });
        }
    }
}
