using L4Balancer.Core.Balancing;

namespace L4Balancer.Core.Health.Feedback;

/// <summary>
/// Asks one backend for its report: its agent or its metrics endpoint. The collector bounds each poll
/// with the table's <c>timeout</c> through <paramref name="cancellationToken"/>; a source returns a
/// failure as a value and throws only <see cref="OperationCanceledException"/>.
/// </summary>
internal interface IFeedbackSource : IDisposable
{
    Task<FeedbackPoll> PollAsync(BackendState backend, CancellationToken cancellationToken);
}
