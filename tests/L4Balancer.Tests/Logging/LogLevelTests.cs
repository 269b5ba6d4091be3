using L4Balancer.Hosting;
using L4Balancer.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace L4Balancer.Tests.Logging;

/// <summary>The host's log filter: <c>log_level</c> from the file, the environment over it, and a reload.</summary>
public class LogLevelTests
{
    private static ServiceProvider Loggers(LogLevelSource levels) =>
        new ServiceCollection().AddLogging(b => LoggingSetup.Configure(b, LogFormat.Console, levels)).BuildServiceProvider();

    [Fact]
    public void The_files_level_applies_to_every_category_and_a_reload_changes_it_at_once()
    {
        var levels = new LogLevelSource(LogLevel.Warning);
        using var services = Loggers(levels);
        var factory = services.GetRequiredService<ILoggerFactory>();
        var engine = factory.CreateLogger("L4Balancer.Engine");
        var access = factory.CreateLogger("L4Balancer.Access");

        Assert.False(engine.IsEnabled(LogLevel.Information));
        Assert.False(access.IsEnabled(LogLevel.Information));
        Assert.True(engine.IsEnabled(LogLevel.Warning));

        levels.Apply(LogLevel.Debug);
        Assert.True(engine.IsEnabled(LogLevel.Debug));
        Assert.True(access.IsEnabled(LogLevel.Information));

        // The framework's chatter stays quiet however verbose the default is, and never louder than it.
        Assert.False(factory.CreateLogger("Microsoft.Hosting.Lifetime").IsEnabled(LogLevel.Information));
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
        levels.Apply(LogLevel.Error);
        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
        Assert.False(engine.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void A_Logging__LogLevel_variable_wins_over_the_file_for_its_category_through_reloads()
    {
        // A category name no other test uses: the environment is the whole process's.
        const string variable = "Logging__LogLevel__L4Balancer.LogLevelTestsProbe";
        Environment.SetEnvironmentVariable(variable, "Trace");
        try
        {
            var levels = new LogLevelSource(LogLevel.Warning);
            using var services = Loggers(levels);
            var factory = services.GetRequiredService<ILoggerFactory>();
            var probe = factory.CreateLogger("L4Balancer.LogLevelTestsProbe");

            Assert.True(probe.IsEnabled(LogLevel.Trace));
            Assert.False(factory.CreateLogger("L4Balancer.Engine").IsEnabled(LogLevel.Information));
            levels.Apply(LogLevel.Critical);
            Assert.True(probe.IsEnabled(LogLevel.Trace));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
