using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace L4Balancer.Logging;

/// <summary>
/// <c>--log-format json</c>: one JSON object per line, with the fields of the framework's JSON console
/// formatter (<c>Timestamp</c>, <c>EventId</c>, <c>LogLevel</c>, <c>Category</c>, <c>Message</c>,
/// <c>Exception</c>, <c>State</c>) and three differences that made its lines awkward to read and to query
/// (issue 17): no <c>{OriginalFormat}</c> template in <c>State</c> (the message is already there), text
/// escaped only where JSON requires it (<c>Ctrl+C</c>, not <c>Ctrl\u002BC</c>), and under the journal each
/// line starts with its sd-daemon priority (<c>&lt;6&gt;{…}</c>), which journald strips and records.
/// </summary>
internal sealed class JsonLogFormatter : ConsoleFormatter
{
    public const string FormatterName = "l4balancer-json";

    private const string OriginalFormat = "{OriginalFormat}";

    /// <summary>A thread keeps its buffer up to this size; a larger one goes after its line.</summary>
    private const int MaxKeptBuffer = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The log is read by people and by log pipelines, not embedded in HTML: escape what JSON needs only.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>One buffer and writer per thread: a line per connection allocates no buffer of its own.</summary>
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly bool _journal;
    private readonly TimeProvider _timeProvider;

    public JsonLogFormatter(bool journal, TimeProvider timeProvider)
        : base(FormatterName)
    {
        _journal = journal;
        _timeProvider = timeProvider;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);

        writer.WriteStartObject();
        writer.WriteString("Timestamp", _timeProvider.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        writer.WriteNumber("EventId", logEntry.EventId.Id);
        writer.WriteString("LogLevel", LevelName(logEntry.LogLevel));
        writer.WriteString("Category", logEntry.Category);
        writer.WriteString("Message", message);
        if (logEntry.Exception is { } exception)
        {
            writer.WriteString("Exception", exception.ToString());
        }

        if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> properties)
        {
            writer.WriteStartObject("State");
            foreach (var (key, value) in properties)
            {
                if (key != OriginalFormat)
                {
                    WriteValue(writer, key, value);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.Flush();

        if (_journal)
        {
            textWriter.Write('<');
            textWriter.Write(JournalStream.Priority(logEntry.LogLevel));
            textWriter.Write('>');
        }

        WriteUtf8(buffer.WrittenSpan, textWriter);
        textWriter.Write(Environment.NewLine);
        if (buffer.Capacity > MaxKeptBuffer)
        {
            // One huge line (a long exception) must not pin its buffer to the thread for good.
            t_buffer = null;
            t_writer = null;
        }
    }

    private static void WriteUtf8(ReadOnlySpan<byte> utf8, TextWriter textWriter)
    {
        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(utf8.Length));
        try
        {
            var count = Encoding.UTF8.GetChars(utf8, chars);
            textWriter.Write(chars.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "Trace",
        LogLevel.Debug => "Debug",
        LogLevel.Information => "Information",
        LogLevel.Warning => "Warning",
        LogLevel.Error => "Error",
        LogLevel.Critical => "Critical",
        _ => level.ToString(),
    };

    /// <summary>Numbers and booleans as JSON numbers and booleans (the access log's byte counts), everything else as text.</summary>
    private static void WriteValue(Utf8JsonWriter writer, string key, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNull(key);
                break;
            case string text:
                writer.WriteString(key, text);
                break;
            case bool flag:
                writer.WriteBoolean(key, flag);
                break;
            case int number:
                writer.WriteNumber(key, number);
                break;
            case long number:
                writer.WriteNumber(key, number);
                break;
            case uint number:
                writer.WriteNumber(key, number);
                break;
            case ulong number:
                writer.WriteNumber(key, number);
                break;
            case short number:
                writer.WriteNumber(key, number);
                break;
            case ushort number:
                writer.WriteNumber(key, number);
                break;
            case byte number:
                writer.WriteNumber(key, number);
                break;
            case sbyte number:
                writer.WriteNumber(key, number);
                break;
            case decimal number:
                writer.WriteNumber(key, number);
                break;
            case double number when double.IsFinite(number):
                writer.WriteNumber(key, number);
                break;
            case float number when float.IsFinite(number):
                writer.WriteNumber(key, number);
                break;
            case IFormattable formattable:
                writer.WriteString(key, formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteString(key, value.ToString());
                break;
        }
    }
}
