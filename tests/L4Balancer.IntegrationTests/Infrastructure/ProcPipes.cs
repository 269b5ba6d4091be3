using System.Globalization;
using System.Runtime.InteropServices;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// The pipes another process holds open: one entry per pipe (both ends share the inode of
/// <c>/proc/PID/fd/N → pipe:[inode]</c>), with its capacity and the bytes queued in it, read by opening
/// the pipe through /proc (read-only, non-blocking: nothing is consumed) and asking fcntl and ioctl.
/// </summary>
internal static partial class ProcPipes
{
    private const int ORdonly = 0;
    private const int ONonblock = 0x800;
    private const int OCloexec = 0x80000;
    private const int FGetPipeSize = 1032; // F_GETPIPE_SZ
    private const nuint Fionread = 0x541B;

    public readonly record struct Pipe(string Inode, int Capacity, int Queued);

    public static IReadOnlyList<Pipe> Read(int pid)
    {
        var pipes = new Dictionary<string, Pipe>();
        foreach (var entry in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(entry).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            if (target is null || !target.StartsWith("pipe:", StringComparison.Ordinal) || pipes.ContainsKey(target))
            {
                continue;
            }

            var fd = Open(entry, ORdonly | ONonblock | OCloexec);
            if (fd < 0)
            {
                continue; // closed meanwhile
            }

            try
            {
                var capacity = Fcntl(fd, FGetPipeSize, 0);
                var queued = 0;
                _ = Ioctl(fd, Fionread, ref queued);
                pipes[target] = new Pipe(target, capacity, queued);
            }
            finally
            {
                _ = Close(fd);
            }
        }

        return [.. pipes.Values];
    }

    public static string Describe(IReadOnlyList<Pipe> pipes) => string.Create(CultureInfo.InvariantCulture,
        $"{pipes.Count} pipes, {pipes.Sum(p => (long)p.Capacity) / 1024} KiB capacity, {pipes.Sum(p => (long)p.Queued)} bytes queued");

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int Ioctl(int fd, nuint request, ref int value);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
