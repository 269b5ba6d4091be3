namespace L4Balancer.IntegrationTests.Infrastructure;

/// <summary>Every network test awaits under a deadline, so a hang fails the test instead of the run.</summary>
internal static class Deadline
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    public static CancellationToken After(TimeSpan? timeout = null) => new CancellationTokenSource(timeout ?? Default).Token;

    /// <summary>Polls <paramref name="condition"/> until true or the deadline; for state with no event to await.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, because);

    /// <summary>Polls an asynchronous <paramref name="condition"/> (an HTTP probe, say) until true or the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null)
    {
        var token = After(timeout);
        while (!await condition())
        {
            if (token.IsCancellationRequested)
            {
                throw new TimeoutException($"condition not met in time{(because is null ? "" : ": " + because)}");
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }
}
