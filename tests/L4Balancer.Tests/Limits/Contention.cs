namespace L4Balancer.Tests.Limits;

/// <summary>
/// Runs <c>body(worker)</c> on dedicated threads released together by a barrier, so they really race
/// (Parallel.For on a 2-core machine waits for the thread pool to grow, about a thread a second).
/// </summary>
internal static class Contention
{
    public static void Run(int threads, Action<int> body)
    {
        using var start = new Barrier(threads);
        var failures = new List<Exception>();
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body(i);
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add(ex);
                }
            }
        })).ToList();

        workers.ForEach(t => t.Start());
        workers.ForEach(t => Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a worker thread hung"));
        if (failures.Count > 0)
        {
            throw new AggregateException(failures);
        }
    }
}
