using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>Keeps every log line by category and event id, so tests can assert on access-log records and on who logged what.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, int EventId, string Message)> Entries { get; } = new();

    public IEnumerable<string> Messages(string category) =>
        Entries.Where(e => e.Category == category).Select(e => e.Message);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue((category, eventId.Id, formatter(state, exception)));
    }
}
