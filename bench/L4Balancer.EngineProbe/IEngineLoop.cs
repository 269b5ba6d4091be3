namespace L4Balancer.EngineProbe;

/// <summary>One event-loop thread of an engine: its own epoll instance or ring, its own listening socket.</summary>
internal interface IEngineLoop : IDisposable
{
    /// <summary>Runs on the loop's thread until <see cref="Stop"/>.</summary>
    void Run();

    /// <summary>Any thread: wakes the loop through its eventfd and makes <see cref="Run"/> return.</summary>
    void Stop();

    /// <summary>Sessions open now (read after the loop stopped, or racily for diagnostics).</summary>
    int LiveSessions { get; }
}
