namespace L4Balancer;

/// <summary>A command the command line accepts, as <c>--help</c> lists it.</summary>
/// <param name="Name">The word on the command line (<c>run</c>).</param>
/// <param name="Arguments">What follows it in the synopsis, e.g. <c>--config FILE</c>; empty for none.</param>
/// <param name="Description">One line for <c>--help</c>.</param>
internal sealed record CommandLineCommand(string Name, string Arguments, string Description)
{
    public string Synopsis => Arguments.Length == 0 ? Name : $"{Name} {Arguments}";
}
