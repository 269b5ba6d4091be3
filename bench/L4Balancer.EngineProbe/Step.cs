namespace L4Balancer.EngineProbe;

/// <summary>What a direction needs next (<see cref="Relay.Next"/>).</summary>
internal enum Step
{
    /// <summary>Nothing: its FIN was passed on.</summary>
    Done,
    Receive,
    Send,

    /// <summary>The source ended and every byte went out: shut the sink's write side.</summary>
    PassFin,
}
