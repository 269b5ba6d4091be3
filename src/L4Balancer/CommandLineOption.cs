namespace L4Balancer;

/// <summary>An option the command line accepts, as <c>--help</c> lists it.</summary>
/// <param name="Name">The long form (<c>--config</c>).</param>
/// <param name="Short">The short form (<c>-c</c>), if there is one.</param>
/// <param name="Value">The value it takes (<c>FILE</c>), or null for a flag.</param>
/// <param name="Description">One line for <c>--help</c>.</param>
internal sealed record CommandLineOption(string Name, string? Short, string? Value, string Description)
{
    public bool Matches(string arg) => arg == Name || (Short is not null && arg == Short);

    public string Synopsis => (Short is null ? $"    {Name}" : $"{Short}, {Name}") + (Value is null ? "" : $" {Value}");
}
