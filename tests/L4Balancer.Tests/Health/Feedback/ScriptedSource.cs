using System.Collections.Concurrent;
using L4Balancer.Core.Balancing;
using L4Balancer.Core.Health.Feedback;

namespace L4Balancer.Tests.Health.Feedback;

/// <summary>A feedback source that answers each backend (by port) with what the test set; "silent" never answers until cancelled.</summary>
internal sealed class ScriptedSource : IFeedbackSource
{
    private readonly ConcurrentDictionary<int, FeedbackPoll?> _answers = new();
    private readonly ConcurrentDictionary<int, int> _calls = new();

    public bool Disposed { get; private set; }

    public void Set(int port, FeedbackPoll answer) => _answers[port] = answer;

    public void Agent(int port, string line) => Set(port, FeedbackPoll.FromAgent(AgentReplyParser.Parse(line)));

    public void Silent(int port) => _answers[port] = null;

    public int Calls(int port) => _calls.GetValueOrDefault(port);

    public async Task<FeedbackPoll> PollAsync(BackendState backend, CancellationToken cancellationToken)
    {
        var port = backend.EndPoint.Port;
        _calls.AddOrUpdate(port, 1, (_, n) => n + 1);
        if (_answers.TryGetValue(port, out var answer) && answer is not null)
        {
            return answer;
        }

        if (!_answers.ContainsKey(port))
        {
            return FeedbackPoll.Failed("no script");
        }

        // Ends inside the cancelling call (synchronous continuations), so on fake time a hung poll is
        // over when Advance returns, as it would be long before the next tick on a real clock.
        var hung = new TaskCompletionSource<FeedbackPoll>();
        using (cancellationToken.Register(() => hung.TrySetCanceled(cancellationToken)))
        {
            return await hung.Task.ConfigureAwait(false);
        }
    }

    public void Dispose() => Disposed = true;
}
