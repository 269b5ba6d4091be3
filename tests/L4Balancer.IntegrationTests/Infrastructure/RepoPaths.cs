namespace L4Balancer.IntegrationTests.Infrastructure;

internal static class RepoPaths
{
    /// <summary>The repository root: the first folder above the test binaries that holds L4Balancer.sln.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "L4Balancer.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("L4Balancer.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string ExampleConfig => Path.Combine(Root, "balancer.toml.example");
}
