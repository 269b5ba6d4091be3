using System.Collections;
using System.Text.RegularExpressions;
using L4Balancer.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>
/// deploy/build-deb.sh end to end: build the package, <c>dpkg -i</c> it, check what it installed and that
/// the installed balancer runs, then <c>dpkg -r</c> and <c>dpkg -P</c> and check what is left: after a
/// remove only the conffile (and its folder) and the system user; after a purge only the system user,
/// which Debian keeps because files it owned may outlive the package. The maintainer scripts run here
/// without systemd as init (CI has none), which they must survive.
/// </summary>
[Collection(PackageBuildCollection.Name)]
public class DebPackageTests(ITestOutputHelper output)
{
    private const string Package = "l4balancer";
    private const string Config = "/etc/l4balancer/balancer.toml";
    private const string Executable = "/opt/l4balancer/l4balancer";

    [DebPackageFact]
    public async Task Builds_installs_runs_check_then_removes_and_purges_cleanly()
    {
        var folder = Directory.CreateTempSubdirectory("l4b-deb-").FullName;
        try
        {
            var deb = await BuildAsync(folder);
            var version = (await Run(DebPackageFactAttribute.DpkgDeb!, "--field", deb, "Version")).Trim();

            await Run(DebPackageFactAttribute.Dpkg!, "--install", deb);
            try
            {
                var installed = (await Run("dpkg-query", "--listfiles", Package)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Where(path => path.Contains(Package, StringComparison.Ordinal)).ToList();
                output.WriteLine($"installed {deb}: {installed.Count} paths of ours");
                await AssertInstalledAsync(version);

                // The operator's edit of the conffile survives installing the package again (an upgrade's
                // path through the maintainer scripts: postinst configure with the old version given).
                const string edit = "# edited by the operator\n";
                await File.AppendAllTextAsync(Config, edit);
                await Run(DebPackageFactAttribute.Dpkg!, "--install", deb);
                Assert.EndsWith(edit, await File.ReadAllTextAsync(Config));
                Assert.Equal("root:l4balancer 640", (await Run("stat", "--format=%U:%G %a", Config)).Trim());

                await Run(DebPackageFactAttribute.Dpkg!, "--remove", Package);
                Assert.Equal("config-files", await StatusAsync());
                Assert.Equal(new[] { "/etc/l4balancer", Config }, installed.Where(Exists).Order());
                Assert.True(await UserExistsAsync(), "the system user went with dpkg -r");

                await Run(DebPackageFactAttribute.Dpkg!, "--purge", Package);
                Assert.Equal("not-installed", await StatusAsync());
                Assert.DoesNotContain(installed, Exists);
                Assert.False(Directory.Exists("/etc/l4balancer"), "/etc/l4balancer is left after dpkg -P");
                Assert.Empty(Directory.EnumerateFiles("/var/lib/dpkg/info", Package + ".*"));
                Assert.Empty(SystemdHelperState());
                Assert.True(await UserExistsAsync(), "the system user stays after a purge (Debian keeps system users)");
            }
            finally
            {
                if (await StatusAsync() != "not-installed")
                {
                    await ExternalTool.RunAsync(DebPackageFactAttribute.Dpkg!, ["--purge", Package]);
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs the script as CI would; its last line of output is the package's path.</summary>
    private async Task<string> BuildAsync(string directory)
    {
        // Not the test host's MSBuild variables: they would point the script's `dotnet publish` at this
        // test run's build (dotnet test sets them for the test host).
        var environment = new Dictionary<string, string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name == "DOTNET_HOST_PATH"))
            {
                environment[name] = null;
            }
        }

        var script = Path.Combine(RepoPaths.Root, "deploy", "build-deb.sh");
        var (code, stdout, stderr) = await ExternalTool.RunAsync("bash", [script, "--output", directory], timeout: TimeSpan.FromMinutes(15), environment: environment);
        Assert.True(code == 0, $"build-deb.sh exited {code}:\n{stderr}");
        var deb = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.True(File.Exists(deb), $"build-deb.sh printed {deb}, which does not exist");
        Assert.Equal(directory, Path.GetDirectoryName(deb));
        return deb;
    }

    private async Task AssertInstalledAsync(string version)
    {
        Assert.Equal("installed", await StatusAsync());

        // The program, runnable, reporting the version the package carries and the commit it was built from.
        Assert.Equal("root:root 755", (await Run("stat", "--format=%U:%G %a", Executable)).Trim());
        var versionLine = (await Run(Executable, "--version")).Trim();
        output.WriteLine(versionLine);
        var match = Regex.Match(versionLine, $@"^l4balancer {Regex.Escape(version)} \(commit (?<commit>[0-9a-f]{{40}}|unknown), \.NET \d+\.\d+\.\d+\S*, linux-[a-z0-9]+(, Native AOT)?\)$");
        Assert.True(match.Success, versionLine);
        if (ExternalTool.Find("git") is { } git && Path.Exists(Path.Combine(RepoPaths.Root, ".git")))
        {
            var (_, head, _) = await ExternalTool.RunAsync(git, ["-C", RepoPaths.Root, "rev-parse", "HEAD"]);
            Assert.Equal(head.Trim(), match.Groups["commit"].Value); // the script published this checkout just now
        }

        Assert.Equal(Executable, new FileInfo("/usr/bin/l4balancer").LinkTarget);
        Assert.True(File.Exists("/opt/l4balancer/LICENSE"));
        Assert.True(File.Exists("/usr/share/doc/l4balancer/copyright"));

        // deploy/'s units as they are, and the service's paths are the package's.
        var unit = await File.ReadAllTextAsync("/usr/lib/systemd/system/l4balancer.service");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "l4balancer.service")), unit);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "deploy", "l4balancer.socket")), await File.ReadAllTextAsync("/usr/lib/systemd/system/l4balancer.socket"));
        Assert.Contains($"\nExecStart={Executable} run --config {Config} ", unit);
        Assert.Contains("\nUser=l4balancer\n", unit);

        // The example as a conffile, readable by the service's group only.
        Assert.Equal(await File.ReadAllTextAsync(RepoPaths.ExampleConfig), await File.ReadAllTextAsync(Config));
        Assert.Contains($" {Config} ", await Run("dpkg-query", "--showformat=${Conffiles}\n", "--show", Package));
        Assert.Equal("root:l4balancer 640", (await Run("stat", "--format=%U:%G %a", Config)).Trim());
        Assert.Equal("root:l4balancer 750", (await Run("stat", "--format=%U:%G %a", "/etc/l4balancer")).Trim());

        // The system user the unit names: a system uid, no login, no home.
        var passwd = (await Run("getent", "passwd", "l4balancer")).Trim().Split(':');
        Assert.True(int.Parse(passwd[2]) < 1000, $"uid {passwd[2]} is not a system uid");
        Assert.Equal("/usr/sbin/nologin", passwd[6]);
        Assert.False(Directory.Exists(passwd[5]), $"home {passwd[5]} exists");

        // check on the installed config, as the user the service runs as (what ExecStartPre does).
        string[] check = ExternalTool.Find("runuser") is { } runuser
            ? [runuser, "-u", "l4balancer", "--", Executable, "check", "--config", Config]
            : [Executable, "check", "--config", Config];
        var (code, stdout, stderr) = await ExternalTool.RunAsync(check[0], check[1..]);
        Assert.True(code == 0, $"check exited {code}: {stderr}");
        Assert.StartsWith($"{Config}: ok", stdout);
    }

    private static bool Exists(string path) => Path.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <summary>dpkg's state of the package: installed, config-files or not-installed.</summary>
    private static async Task<string> StatusAsync()
    {
        var (code, stdout, _) = await ExternalTool.RunAsync("dpkg-query", ["--showformat=${db:Status-Status}", "--show", Package]);
        return code == 0 && stdout.Trim().Length > 0 ? stdout.Trim() : "not-installed";
    }

    private static async Task<bool> UserExistsAsync() => (await ExternalTool.RunAsync("getent", ["passwd", "l4balancer"])).ExitCode == 0;

    /// <summary>What deb-systemd-helper remembers of the package's units (it must forget them on purge).</summary>
    private static IEnumerable<string> SystemdHelperState()
    {
        const string state = "/var/lib/systemd/deb-systemd-helper-enabled";
        const string masked = "/var/lib/systemd/deb-systemd-helper-masked";
        return new[] { state, masked }.Where(Directory.Exists)
            .SelectMany(dir => Directory.EnumerateFileSystemEntries(dir, "l4balancer*", SearchOption.AllDirectories));
    }

    private static async Task<string> Run(string tool, params string[] args)
    {
        var (code, stdout, stderr) = await ExternalTool.RunAsync(tool, args, timeout: TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"{tool} {string.Join(' ', args)} exited {code}:\n{stdout}\n{stderr}");
        return stdout;
    }
}
