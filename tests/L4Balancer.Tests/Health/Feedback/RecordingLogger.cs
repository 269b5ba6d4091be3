using Microsoft.Extensions.Logging;

namespace L4Balancer.Tests.Health.Feedback;

/// <summary>Keeps every log line with its event id, to count how often a state change was logged.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly List<(int EventId, string Message)> _lines = [];

    public int Count(int eventId)
    {
        lock (_lines)
        {
            return _lines.Count(l => l.EventId == eventId);
        }
    }

    public IReadOnlyList<string> Messages(int eventId)
    {
        lock (_lines)
        {
            return [.. _lines.Where(l => l.EventId == eventId).Select(l => l.Message)];
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add((eventId.Id, formatter(state, exception)));
        }
    }
}
