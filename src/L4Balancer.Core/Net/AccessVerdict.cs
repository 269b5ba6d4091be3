namespace L4Balancer.Core.Net;

/// <summary>What a CIDR rule says about a source address.</summary>
internal enum AccessVerdict : byte
{
    Allow,
    Deny,
}
