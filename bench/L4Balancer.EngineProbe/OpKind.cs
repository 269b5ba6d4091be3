namespace L4Balancer.EngineProbe;

/// <summary>The low byte of an SQE's user_data (the rest is the session index): what completed.</summary>
internal enum OpKind : byte
{
    Accept = 1,
    Wake = 2,
    Connect = 3,
    RecvUp = 4,
    RecvDown = 5,
    SendUp = 6,
    SendDown = 7,

    /// <summary>A close queued with IOSQE_CQE_SKIP_SUCCESS: a completion means it failed, nothing to do.</summary>
    Ignore = 8,
}
