namespace L4Balancer.LoadTest.Reporting;

/// <summary>The JSON document of one run: what ran where, then exactly one scenario result.</summary>
internal sealed record RunReport(
    string Scenario,
    string? Target,
    string? TargetB,
    DateTimeOffset StartedUtc,
    RunSettings Settings,
    MachineInfo Machine,
    GeneratorUsage Generator,
    RrResult? Rr = null,
    ChurnResult? Churn = null,
    BulkResult? Bulk = null,
    IdleResult? Idle = null,
    NeighboursResult? Neighbours = null,
    SoakResult? Soak = null,
    StreamResult? Stream = null,
    LlmResult? Llm = null);
