namespace L4Balancer.Hosting;

/// <summary>What a reload did: the generation now serving, or every error (and the old config kept).</summary>
internal sealed record ReloadOutcome(bool Succeeded, long Generation, IReadOnlyList<string> Errors);
