using Microsoft.Extensions.Logging;

namespace L4Balancer.Logging;

/// <summary>
/// Whether stdout goes to the systemd journal, and the sd-daemon priority prefix (<c>&lt;6&gt;</c>) that makes
/// journald record each line at its level (sd-daemon(3); journald reads it on stdout and stderr alike).
/// </summary>
internal static class JournalStream
{
    /// <summary>
    /// systemd sets <c>JOURNAL_STREAM</c> (device:inode of the stream) when it connects stdout or stderr to
    /// the journal, and only then: a unit with <c>StandardOutput=file:…</c> gets no prefix that would end
    /// up in the file. A successor started by a binary upgrade inherits the variable with the same stdout.
    /// (Before issue 17 the decision looked at the parent process, and only the console format honoured it,
    /// while the shipped unit runs the JSON format: every line reached the journal as "info".)
    /// </summary>
    public static bool IsConnected { get; } = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM"));

    /// <summary>syslog priorities, as Microsoft.Extensions.Logging's systemd console formatter maps them.</summary>
    public static char Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => '7', // debug
        LogLevel.Information => '6',             // info
        LogLevel.Warning => '4',                 // warning
        LogLevel.Error => '3',                   // err
        _ => '2',                                // crit
    };

    /// <summary>
    /// The one line a fatal start error prints (a bind failure: exit 1), on stderr, with the <c>crit</c>
    /// prefix when the journal reads it.
    /// </summary>
    public static void WriteFatal(string message) =>
        Console.Error.WriteLine(IsConnected ? $"<{Priority(LogLevel.Critical)}>l4balancer: {message}" : $"l4balancer: {message}");
}
