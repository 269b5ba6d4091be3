namespace L4Balancer.LoadTest.Reporting;

/// <summary>soak: one look at the balancer process, <see cref="Seconds"/> after the run started (the last one after every client closed).</summary>
internal sealed record SoakSample(double Seconds, long? RssBytes, int? Descriptors, long? ConnectionsOpen);
