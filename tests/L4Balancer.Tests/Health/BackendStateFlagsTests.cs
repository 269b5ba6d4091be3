using L4Balancer.Core.Health;

namespace L4Balancer.Tests.Health;

public class BackendStateFlagsTests
{
    [Fact]
    public void Down_draining_and_removed_each_take_the_backend_out_of_rotation_independently()
    {
        var a = HealthFixture.Backend(1001);
        Assert.True(a.IsAvailable);

        Assert.True(a.SetDraining(true));
        Assert.False(a.SetDraining(true)); // no change, no second transition
        Assert.True(a.SetUp(false));
        Assert.False(a.IsAvailable);

        Assert.True(a.SetUp(true));
        Assert.True(a.IsDraining);
        Assert.False(a.IsAvailable); // still draining

        Assert.True(a.SetDraining(false));
        Assert.True(a.IsAvailable);
    }

    [Fact]
    public void Rise_and_fall_report_exactly_one_transition_each()
    {
        var a = HealthFixture.Backend(1001);
        var transitions = new List<Core.Health.HealthTransition>();
        foreach (var passed in new[] { false, false, false, false, true, true, true })
        {
            transitions.Add(ActiveHealthRule.Record(a, passed, rise: 2, fall: 3));
        }

        Assert.Equal(
            [Core.Health.HealthTransition.None, Core.Health.HealthTransition.None, Core.Health.HealthTransition.Down, Core.Health.HealthTransition.None,
             Core.Health.HealthTransition.None, Core.Health.HealthTransition.Up, Core.Health.HealthTransition.None],
            transitions);
    }
}
