using System.Diagnostics;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>Finds a command-line tool on PATH (chromium, promtool, systemd-analyze) and runs it to completion.</summary>
internal static class ExternalTool
{
    public static string? Find(params string[] names)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var dirs = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/local/bin");
        return names.SelectMany(name => dirs.Select(dir => Path.Combine(dir, name))).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Runs <paramref name="tool"/> with <paramref name="args"/>, feeding <paramref name="stdin"/>; exit code and output.
    /// <paramref name="environment"/> sets variables for it (a null value removes one).
    /// </summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string tool, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(Deadline.After(timeout ?? TimeSpan.FromSeconds(60)));
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} did not finish in time");
        }

        return (process.ExitCode, await output, await errors);
    }
}
