using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace L4Balancer.Core.Config;

/// <summary>
/// Reads a file the operator named (the config file, a <c>file:</c> token) only if it is a regular file
/// no larger than a limit. <see cref="File.ReadAllText(string)"/> read /dev/zero until the process had
/// 4.3 GB, and blocked in <c>open()</c> on a FIFO until a writer came, hanging <c>check</c> (issue 11).
/// .NET cannot tell a FIFO or a device from a regular file without opening it (its
/// <see cref="FileAttributes"/> say <c>Normal</c> for all three), so the file is opened with
/// <c>O_NONBLOCK</c>, which returns at once even for a FIFO, and the type and size are read from that
/// descriptor with <c>statx</c>: nothing can be swapped in between the check and the read.
/// </summary>
internal static partial class BoundedFile
{
    // Linux open(2) flags; the same numbers on x86-64 and arm64 (asm-generic).
    private const int OpenReadOnly = 0;
    private const int OpenNoControllingTerminal = 0x100;
    private const int OpenNonBlocking = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    // statx(2): an empty path with AT_EMPTY_PATH means the descriptor itself. struct statx has one
    // layout on every architecture (unlike struct stat): stx_mode is a u16 at 28, stx_size a u64 at 40.
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxBufferSize = 256;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;

    private const int TypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    /// <param name="error">Why not, to follow "cannot read …: ", e.g. <c>not a regular file (FIFO)</c>.</param>
    public static bool TryRead(string path, int maxBytes, [NotNullWhen(true)] out byte[]? content, [NotNullWhen(false)] out string? error) =>
        TryRead(path, maxBytes, out content, out error, out _);

    /// <param name="tooLarge">Whether it failed only for its size (the caller may say why the limit was smaller).</param>
    public static bool TryRead(string path, int maxBytes, [NotNullWhen(true)] out byte[]? content, [NotNullWhen(false)] out string? error, out bool tooLarge)
    {
        content = null;
        tooLarge = false;
        var descriptor = Open(path, OpenReadOnly | OpenNonBlocking | OpenCloseOnExec | OpenNoControllingTerminal);
        if (descriptor < 0)
        {
            error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            return false;
        }

        using var handle = new SafeFileHandle((nint)descriptor, ownsHandle: true);
        Span<byte> status = stackalloc byte[StatxBufferSize];
        if (Statx(descriptor, "", AtEmptyPath, StatxType | StatxSize, ref MemoryMarshal.GetReference(status)) != 0)
        {
            error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            return false;
        }

        var type = MemoryMarshal.Read<ushort>(status[StatxModeOffset..]) & TypeMask;
        if (type != RegularFile)
        {
            error = $"not a regular file ({TypeName(type)})";
            return false;
        }

        var size = MemoryMarshal.Read<ulong>(status[StatxSizeOffset..]);
        if (size > (ulong)maxBytes)
        {
            error = TooLarge(maxBytes);
            tooLarge = true;
            return false;
        }

        try
        {
            // The size is only what it was a moment ago: a file still being written may grow, so the
            // read itself stops one byte past the limit.
            var buffer = new byte[(int)size + 1];
            var total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > maxBytes)
                    {
                        error = TooLarge(maxBytes);
                        tooLarge = true;
                        return false;
                    }

                    Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, maxBytes + 1L));
                }

                var read = RandomAccess.Read(handle, buffer.AsSpan(total), total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            content = buffer[..total];
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            error = e.Message;
            return false;
        }
    }

    private static string TooLarge(int maxBytes) =>
        maxBytes >= 1024 * 1024 && maxBytes % (1024 * 1024) == 0
            ? $"larger than {maxBytes / (1024 * 1024)} MiB ({maxBytes} bytes)"
            : $"larger than {maxBytes} bytes";

    private static string TypeName(int type) => type switch
    {
        0x1000 => "FIFO",
        0x2000 => "character device",
        0x4000 => "directory",
        0x6000 => "block device",
        0xC000 => "socket",
        _ => $"type 0x{type:x}",
    };

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte status);
}
