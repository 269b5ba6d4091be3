using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// The balancer's build output (the <c>l4balancer</c> apphost, its dll, deps and runtimeconfig) copied
/// to a temporary folder, so the test can replace the executable on disk the way a package upgrade
/// does (a new file renamed over the old one) while a process started from it runs.
/// </summary>
internal sealed class BalancerCopy : IDisposable
{
    private BalancerCopy(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string Executable => Path.Combine(Directory, "l4balancer");

    public static BalancerCopy Create()
    {
        var source = BalancerProcess.Directory;
        var directory = System.IO.Directory.CreateTempSubdirectory("l4b-upgrade-").FullName;
        foreach (var file in System.IO.Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        var copy = new BalancerCopy(directory);
        Assert.True(File.Exists(copy.Executable), $"no apphost l4balancer in {source}");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(copy.Executable, File.GetUnixFileMode(Path.Combine(source, "l4balancer")));
        }

        return copy;
    }

    /// <summary>Atomically replaces the executable with a shell script (write a new file, rename it over the old one).</summary>
    public void ReplaceExecutable(string script)
    {
        var next = Executable + ".new";
        File.WriteAllText(next, script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(next, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        File.Move(next, Executable, overwrite: true);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
