namespace L4Balancer;

internal enum LogFormat
{
    Console,
    Json,
}
