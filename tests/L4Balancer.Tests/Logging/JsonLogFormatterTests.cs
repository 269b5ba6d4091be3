using System.Text.Json;
using L4Balancer.Logging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace L4Balancer.Tests.Logging;

public partial class JsonLogFormatterTests
{
    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "tenant {Tenant}: \"{Name}\" took {Seconds}s, {Bytes} bytes; Ctrl+C <here>")]
    private static partial void Sample(ILogger logger, string tenant, string name, double seconds, long bytes);

    private static string Format(bool journal, Action<ILogger> log)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 0, 1, 2, 345, TimeSpan.Zero));
        var formatter = new JsonLogFormatter(journal, time);
        var logger = new CapturingLogger(formatter);
        log(logger);
        return logger.Text;
    }

    [Fact]
    public void Writes_one_object_per_line_with_the_values_and_no_template()
    {
        var text = Format(journal: false, l => Sample(l, "acme", "x", 1.5, 4096));

        Assert.Equal(
            """{"Timestamp":"2026-12-08T00:01:02.345Z","EventId":42,"LogLevel":"Warning","Category":"Test","Message":"tenant acme: \"x\" took 1.5s, 4096 bytes; Ctrl+C <here>","State":{"Tenant":"acme","Name":"x","Seconds":1.5,"Bytes":4096}}""" + Environment.NewLine,
            text);
    }

    [Theory]
    [InlineData(LogLevel.Debug, "<7>")]
    [InlineData(LogLevel.Information, "<6>")]
    [InlineData(LogLevel.Warning, "<4>")]
    [InlineData(LogLevel.Error, "<3>")]
    [InlineData(LogLevel.Critical, "<2>")]
    public void Under_the_journal_each_line_starts_with_its_priority(LogLevel level, string prefix)
    {
        var text = Format(journal: true, l => l.Log(level, new EventId(1), "hello {Who}", "you"));

        Assert.StartsWith(prefix + "{", text);
        var record = JsonDocument.Parse(text[prefix.Length..]).RootElement;
        Assert.Equal("hello you", record.GetProperty("Message").GetString());
        Assert.False(record.GetProperty("State").TryGetProperty("{OriginalFormat}", out _));
    }

    [Fact]
    public void An_exception_is_written_whole()
    {
        var text = Format(journal: false, l => l.LogError(new InvalidOperationException("boom"), "failed"));

        var record = JsonDocument.Parse(text).RootElement;
        Assert.Contains("System.InvalidOperationException: boom", record.GetProperty("Exception").GetString());
        Assert.Equal("Error", record.GetProperty("LogLevel").GetString());
    }

    /// <summary>A logger that runs the formatter as the console logger does, into a string.</summary>
    private sealed class CapturingLogger(JsonLogFormatter formatter) : ILogger
    {
        private readonly StringWriter _writer = new();

        public string Text => _writer.ToString();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter1) =>
            formatter.Write(new LogEntry<TState>(logLevel, "Test", eventId, state, exception, formatter1), null, _writer);
    }
}
