namespace L4Balancer.Hosting;

/// <summary>How the host writes its log (<c>--log-format</c>); here, not next to the command line, because the host is what configures the logging.</summary>
internal enum LogFormat
{
    Console,
    Json,
}
