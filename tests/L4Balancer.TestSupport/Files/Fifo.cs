using System.Diagnostics;

namespace L4Balancer.TestSupport.Files;

/// <summary>Named pipes for tests of readers that must not block on one (made with the mkfifo command, coreutils).</summary>
public static class Fifo
{
    public static readonly string? MkfifoPath = new[] { "/usr/bin/mkfifo", "/bin/mkfifo", "/usr/local/bin/mkfifo" }.FirstOrDefault(File.Exists);

    public static void Create(string path)
    {
        using var process = Process.Start(new ProcessStartInfo(MkfifoPath ?? "mkfifo", [path]) { UseShellExecute = false })!;
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new TimeoutException($"mkfifo {path} did not finish");
        }

        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>
    /// Runs <paramref name="read"/> (which may open <paramref name="path"/>) with a deadline. If it is
    /// still blocked when the deadline passes, a writer opens and closes the pipe so the reader sees
    /// end of file and the test's thread is not left blocked forever; the test then fails.
    /// </summary>
    public static async Task<T> WithinAsync<T>(string path, TimeSpan deadline, Func<T> read)
    {
        var task = Task.Run(read);
        if (await Task.WhenAny(task, Task.Delay(deadline)) != task)
        {
            await Task.Run(() => File.OpenWrite(path).Dispose()).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Fail($"reading {path} blocked for more than {deadline.TotalSeconds} s");
        }

        return await task;
    }
}
