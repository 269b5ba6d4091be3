namespace L4Balancer.Core.Config;

/// <summary>A string from the config file and the line it was written on (array items can span lines).</summary>
internal readonly record struct LocatedString(string Value, int Line);
