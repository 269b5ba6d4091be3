namespace L4Balancer.Tests.Config;

/// <summary>
/// A row of <see cref="ConfigLoaderErrorTests"/>' tables: a TOML snippet and every error it must
/// produce, in line order. The theories look rows up by <see cref="Name"/> because xunit can list
/// a string argument as a test case of its own, and a record it cannot serialize it would not.
/// Names stay within 50 characters: xunit 2 cuts longer string arguments in display names.
/// </summary>
internal sealed record ConfigErrorCase(string Name, string Toml, params (int Line, string Message)[] Errors)
{
    public override string ToString() => Name;
}
