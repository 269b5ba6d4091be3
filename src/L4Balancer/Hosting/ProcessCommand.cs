namespace L4Balancer.Hosting;

/// <summary>
/// How this process was started, captured once at start-up so that a binary upgrade starts "the same
/// executable again": the path on disk (so a binary replaced by rename is picked up; /proc/self/exe of
/// a replaced binary would read "… (deleted)") and the same arguments. Under <c>dotnet l4balancer.dll</c>
/// the executable is the host and the entry assembly's path is the first argument.
/// </summary>
internal sealed record ProcessCommand(string FileName, IReadOnlyList<string> Arguments)
{
    public static ProcessCommand Current { get; } = Capture();

    private static ProcessCommand Capture()
    {
        var args = Environment.GetCommandLineArgs();
        var executable = Environment.ProcessPath ?? Path.GetFullPath(args[0]);
        var rest = args.Skip(1);
        return string.Equals(Path.GetFileNameWithoutExtension(executable), "dotnet", StringComparison.Ordinal)
            ? new ProcessCommand(executable, [Path.GetFullPath(args[0]), .. rest])
            : new ProcessCommand(executable, [.. rest]);
    }
}
