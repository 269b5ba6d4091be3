namespace L4Balancer.LoadTest.Cli;

/// <summary>What a bulk stream does with the target: only send (a discard target), or send and read back (echo).</summary>
internal enum BulkMode
{
    Send,
    Echo,
}
