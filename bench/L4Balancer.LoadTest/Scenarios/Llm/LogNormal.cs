namespace L4Balancer.LoadTest.Scenarios.Llm;

/// <summary>
/// Draws e^(mu + sigma·Z), Z standard normal (Box–Muller), rounded and clamped to [min, max].
/// Prompt and answer lengths of real LLM traffic are heavy-tailed and close to log-normal (most
/// are short, a few are very long), and one seed gives every run the same sequence. Its mean
/// before rounding and clamping is e^(mu + sigma²/2); the clamps here cut less than 0.1 % of it
/// at the defaults.
/// </summary>
internal sealed class LogNormal(double mu, double sigma, int min, int max, Random random)
{
    public int Next()
    {
        // 1 − NextDouble() is in (0, 1]: the logarithm is finite.
        var z = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var value = Math.Exp(mu + (sigma * z));
        return (int)Math.Clamp(Math.Round(value), min, max);
    }

    public static double Mean(double mu, double sigma) => Math.Exp(mu + (sigma * sigma / 2));
}
