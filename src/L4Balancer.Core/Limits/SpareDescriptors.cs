using Microsoft.Win32.SafeHandles;

namespace L4Balancer.Core.Limits;

/// <summary>
/// A few descriptors held open (on /dev/null) only to be given up when the process runs out. The
/// budget keeps connections below the open-files limit, but a limit lowered under a running process
/// (<c>prlimit --pid</c>) can leave it with none free, and then the runtime aborts the moment it needs
/// one: a new thread-pool thread's pipe2() gets EMFILE and the CLR fails fast with "Out of memory."
/// (reproduced with strace; issue 11). So the first EMFILE an accept loop sees releases these, which
/// gives the runtime room for threads, assembly loads and logging while the budget refuses new
/// connections. The engine takes them back when its arithmetic (a raised limit, closed connections) says
/// enough descriptors are free again: probing by opening descriptors would itself exhaust them for a
/// moment, which is exactly when a thread creation fails. It cannot help when the limit falls more than
/// <see cref="Count"/> below what is open: then the next descriptor the runtime needs still fails.
/// Part of the budget's <see cref="DescriptorBudget.RuntimeReserve"/>.
/// </summary>
internal sealed class SpareDescriptors : IDisposable
{
    // 32 were not enough: in a test run the runtime's first admin request after the release loaded
    // 14 assemblies (two descriptors each) and a thread created at SIGTERM then aborted the process.
    public const int Count = 64;

    private const string NullDevice = "/dev/null";

    private readonly Lock _lock = new();
    private List<SafeFileHandle>? _held;

    private SpareDescriptors(List<SafeFileHandle>? held) => _held = held;

    /// <summary>True while the spares are held (false after <see cref="Release"/> until a <see cref="TryRestore"/> succeeds).</summary>
    public bool Held
    {
        get
        {
            lock (_lock)
            {
                return _held is not null;
            }
        }
    }

    /// <summary>Opens <see cref="Count"/> spares (Linux: /dev/null always exists; if it cannot be opened, none are held).</summary>
    public static SpareDescriptors Open() => new(TryOpen(Count));

    /// <summary>Closes the spares, if held; true if this call released them.</summary>
    public bool Release()
    {
        List<SafeFileHandle>? held;
        lock (_lock)
        {
            held = _held;
            _held = null;
        }

        if (held is null)
        {
            return false;
        }

        Close(held);
        return true;
    }

    /// <summary>Opens the spares again if released; true if this call restored them (false if held, or if the opens failed).</summary>
    public bool TryRestore()
    {
        lock (_lock)
        {
            if (_held is not null)
            {
                return false;
            }

            _held = TryOpen(Count);
            return _held is not null;
        }
    }

    private static List<SafeFileHandle>? TryOpen(int count)
    {
        var opened = new List<SafeFileHandle>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                opened.Add(File.OpenHandle(NullDevice, FileMode.Open, FileAccess.Read));
            }

            return opened;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Close(opened); // EMFILE: not now
            return null;
        }
    }

    private static void Close(List<SafeFileHandle> handles)
    {
        foreach (var handle in handles)
        {
            handle.Dispose();
        }
    }

    public void Dispose() => Release();
}
