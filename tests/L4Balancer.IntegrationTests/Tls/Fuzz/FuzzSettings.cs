using System.Globalization;

namespace L4Balancer.IntegrationTests.Tls.Fuzz;

/// <summary>
/// The fuzz run's knobs, from the environment so CI and a person at a terminal run the same test:
/// <c>L4B_FUZZ_SEED</c> (default: a new seed per run, printed in every failure),
/// <c>L4B_FUZZ_INPUTS</c> (default 5000: about 10 s on 2 cores; by hand 100000 or more),
/// <c>L4B_FUZZ_PARALLEL</c> (connections in flight, default 8),
/// <c>L4B_FUZZ_CLASSES</c> (comma list: only these mutation classes, e.g. <c>truncation,garbage</c>).
/// </summary>
internal sealed record FuzzSettings(int Seed, int Inputs, int Parallel, IReadOnlySet<string>? Classes)
{
    public static FuzzSettings FromEnvironment() => new(
        Int("L4B_FUZZ_SEED") ?? Random.Shared.Next(1, int.MaxValue),
        Int("L4B_FUZZ_INPUTS") ?? 5000,
        Math.Clamp(Int("L4B_FUZZ_PARALLEL") ?? 8, 1, 64),
        Environment.GetEnvironmentVariable("L4B_FUZZ_CLASSES") is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)
            : null);

    /// <summary>How to run this again.</summary>
    public string Repeat => $"L4B_FUZZ_SEED={Seed} L4B_FUZZ_INPUTS={Inputs} L4B_FUZZ_PARALLEL={Parallel}" +
        (Classes is null ? "" : $" L4B_FUZZ_CLASSES={string.Join(',', Classes)}");

    private static int? Int(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text
            ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
}
