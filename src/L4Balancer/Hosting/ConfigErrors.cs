using L4Balancer.Core.Config;

namespace L4Balancer.Hosting;

/// <summary>Prints an invalid config's problems (SPEC: every one, one per line, <c>FILE:LINE: message</c>) for every command that loads one.</summary>
internal static class ConfigErrors
{
    public static void Print(ConfigLoadResult result)
    {
        foreach (var error in result.Errors)
        {
            Console.Error.WriteLine(error);
        }
    }
}
