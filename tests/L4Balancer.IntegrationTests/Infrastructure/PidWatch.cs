using System.Runtime.InteropServices;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>
/// A process the test did not start (a binary upgrade's successor: the balancer's child, then an
/// orphan), held by a pidfd: its exit is a kernel event to await, not a condition to poll, and signals
/// go through the pidfd, so they cannot reach another process that reused the pid.
/// </summary>
internal sealed partial class PidWatch : IAsyncDisposable
{
    private const nint PidfdOpenSyscall = 434;       // same number on x86_64 and arm64
    private const nint PidfdSendSignalSyscall = 424;
    private const int PPidfd = 3;
    private const int WExited = 4;
    private const int CldExited = 1;
    private const short PollIn = 1;
    private const int Esrch = 3;
    private const int Eintr = 4;
    private const int EfdCloexec = 0x80000;

    private readonly int _pidfd;
    private readonly int _stopfd;
    private readonly TaskCompletionSource<int?> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread? _thread;

    private PidWatch(int pid, int pidfd)
    {
        Pid = pid;
        _pidfd = pidfd;
        if (pidfd < 0)
        {
            _stopfd = -1;
            _exit.SetResult(null); // gone, and reaped by its parent, before the test learned its pid
            return;
        }

        _stopfd = EventFd(0, EfdCloexec);
        if (_stopfd < 0)
        {
            Close(pidfd);
            throw new InvalidOperationException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _thread = new Thread(Watch) { IsBackground = true, Name = $"pidfd {pid}" };
        _thread.Start();
    }

    public int Pid { get; }

    /// <summary>
    /// Completes when the process has exited: with its exit code (128 + the signal if a signal ended
    /// it) when this process reaped it (see <see cref="Pids.EnsureSubreaper"/>), with null when its
    /// parent did (while the parent lives, the exit status is the parent's to read).
    /// </summary>
    public Task<int?> Exited => _exit.Task;

    public static PidWatch Open(int pid)
    {
        var pidfd = (int)Syscall(PidfdOpenSyscall, pid, 0);
        if (pidfd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Esrch)
            {
                throw new InvalidOperationException($"pidfd_open({pid}) failed: errno {errno}");
            }
        }

        return new PidWatch(pid, pidfd);
    }

    /// <summary>Sends <paramref name="signal"/>; false if the process has already exited.</summary>
    public bool Signal(int signal)
    {
        if (_pidfd < 0)
        {
            return false;
        }

        if (Syscall(PidfdSendSignalSyscall, _pidfd, signal, 0, 0) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == Esrch ? false : throw new InvalidOperationException($"pidfd_send_signal({Pid}, {signal}) failed: errno {errno}");
    }

    /// <summary>The exit code within <paramref name="timeout"/>; see <see cref="Exited"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            return await Exited.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"process {Pid} did not exit within {timeout.TotalSeconds} s");
        }
    }

    private unsafe void Watch()
    {
        var fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = _pidfd, Events = PollIn };
        fds[1] = new PollFd { Fd = _stopfd, Events = PollIn };
        while (true)
        {
            if (Poll(fds, 2, -1) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                {
                    continue;
                }

                _exit.TrySetException(new InvalidOperationException($"poll on the pidfd of {Pid} failed: errno {errno}"));
                return;
            }

            if (fds[0].Revents != 0)
            {
                _exit.TrySetResult(Reap());
                return;
            }

            if (fds[1].Revents != 0)
            {
                _exit.TrySetCanceled();
                return;
            }
        }
    }

    /// <summary>The exit status if the exited process is this process's child (reparented to it), else null (ECHILD).</summary>
    private unsafe int? Reap()
    {
        var info = stackalloc byte[128]; // siginfo_t: si_code at 8, si_status at 24 on LP64
        if (Waitid(PPidfd, (uint)_pidfd, info, WExited) != 0)
        {
            return null;
        }

        var code = *(int*)(info + 8);
        var status = *(int*)(info + 24);
        return code == CldExited ? status : 128 + status;
    }

    /// <summary>Kills the process if it still runs (a test that failed half-way), waits for it, releases the descriptors.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Exited.IsCompleted && Signal(Pids.SIGKILL))
        {
            await Exited.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        if (_thread is not null)
        {
            WakeWatcher();
            _thread.Join();
            Close(_stopfd);
            Close(_pidfd);
        }
    }

    private unsafe void WakeWatcher()
    {
        long one = 1;
        _ = Write(_stopfd, &one, sizeof(long));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint arg1, nint arg2);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall(nint number, nint arg1, nint arg2, nint arg3, nint arg4);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "waitid", SetLastError = true)]
    private static unsafe partial int Waitid(int idType, uint id, byte* info, int options);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
