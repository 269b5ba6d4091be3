using L4Balancer.Core.Balancing;
using L4Balancer.Core.Health.Feedback;

namespace L4Balancer.Tests.Health.Feedback;

/// <summary>The agent-check line as HAProxy's tcpcheck_agent_expect_reply and server_parse_*_change_request read it.</summary>
public class AgentReplyParserTests
{
    [Theory]
    [InlineData("up", "None", "Up")]
    [InlineData("down", "None", "Down")]
    [InlineData("fail", "None", "Fail")]
    [InlineData("stopped", "None", "Stopped")]
    [InlineData("ready", "Ready", "None")]
    [InlineData("drain", "Drain", "None")]
    [InlineData("maint", "Maint", "None")]
    [InlineData("MAINT", "Maint", "None")]
    [InlineData("Drain,Up", "Drain", "Up")]
    [InlineData("down drain up ready", "Ready", "Up")]
    [InlineData("", "None", "None")]
    [InlineData(" \t, ", "None", "None")]
    public void State_words_any_case_the_last_of_each_kind_wins(string line, string admin, string health)
    {
        var reply = AgentReplyParser.Parse(line);

        Assert.Equal(Enum.Parse<AgentState>(admin), reply.Admin);
        Assert.Equal(Enum.Parse<AgentState>(health), reply.Health);
        Assert.Null(reply.Error);
        Assert.Null(reply.Warning);
    }

    [Theory]
    [InlineData("75%", 75, null)]
    [InlineData("0%", 0, null)]
    [InlineData("100%", 100, null)]
    [InlineData("256%", 256, null)]
    [InlineData("30000%", 25600, null)] // HAProxy clamps at 25600 % before scaling
    [InlineData("weight:40%", 40, null)]
    [InlineData("WEIGHT:40%", 40, null)]
    [InlineData("weight:12", null, 12)]
    [InlineData("weight:0", null, 0)]
    [InlineData("10% 20%", 20, null)]
    [InlineData("10% weight:7", null, 7)]
    public void Weights_relative_and_absolute(string line, int? percent, int? absolute)
    {
        var reply = AgentReplyParser.Parse(line);

        Assert.Equal(percent, reply.WeightPercent);
        Assert.Equal(absolute, reply.AbsoluteWeight);
        Assert.Null(reply.Warning);
    }

    [Theory]
    [InlineData("7%5", "Trailing garbage in weight string")]
    [InlineData("300%x", "Absolute weight can only be between 0 and 256 inclusive.")]
    [InlineData("weight:", "Require <weight> or <weight%>.")]
    [InlineData("weight:-5%", "Relative weight must be positive.")]
    [InlineData("weight:257", "Absolute weight can only be between 0 and 256 inclusive.")]
    [InlineData("weight:x%", "Empty weight string empty or preceded by garbage")]
    [InlineData("maxconn:", "Require <maxconn>.")]
    [InlineData("maxconn:abc", "maxconn string empty or preceded by garbage")]
    [InlineData("maxconn:10x", "Trailing garbage in maxconn string")]
    [InlineData("maxconn:-1", "maxconn must be >= 0")]
    public void A_bad_weight_or_maxconn_is_a_warning_and_changes_nothing(string line, string warning)
    {
        var reply = AgentReplyParser.Parse($"drain {line}");

        Assert.Equal(warning, reply.Warning);
        Assert.Null(reply.WeightPercent);
        Assert.Null(reply.AbsoluteWeight);
        Assert.Null(reply.MaxConnections);
        Assert.Equal(AgentState.Drain, reply.Admin); // the rest of the line still applies
    }

    [Theory]
    [InlineData("maxconn:30", 30)]
    [InlineData("MaxConn:0", 0)]
    [InlineData("maxconn:+12", 12)]
    [InlineData("maxconn:99999999999999", int.MaxValue)]
    public void Maxconn(string line, int maxconn) =>
        Assert.Equal(maxconn, AgentReplyParser.Parse(line).MaxConnections);

    [Fact]
    public void Every_kind_of_word_in_one_line()
    {
        var reply = AgentReplyParser.Parse("maint,\t50%  maxconn:8 down #disk full, back at 10:00");

        Assert.Equal(AgentState.Maint, reply.Admin);
        Assert.Equal(AgentState.Down, reply.Health);
        Assert.Equal(50, reply.WeightPercent);
        Assert.Equal(8, reply.MaxConnections);
        Assert.Equal("disk full, back at 10:00", reply.Description);
    }

    [Fact]
    public void A_sharp_inside_a_word_is_part_of_the_word()
    {
        var reply = AgentReplyParser.Parse("up#x down");

        Assert.Equal("up#x", reply.Error);
        Assert.Equal(AgentState.Down, reply.Health);
        Assert.Null(reply.Description);
    }

    [Fact]
    public void Words_after_the_sharp_are_the_description_not_commands()
    {
        var reply = AgentReplyParser.Parse("up # drain 0%");

        Assert.Equal(AgentState.Up, reply.Health);
        Assert.Equal(AgentState.None, reply.Admin);
        Assert.Null(reply.WeightPercent);
        Assert.Equal("drain 0%", reply.Description);
    }

    [Fact]
    public void Unknown_words_are_ignored_and_the_first_is_reported()
    {
        var reply = AgentReplyParser.Parse("hello 80% world up");

        Assert.Equal("hello", reply.Error);
        Assert.Equal(80, reply.WeightPercent);
        Assert.Equal(AgentState.Up, reply.Health);
    }

    [Fact]
    public void A_word_with_a_digit_and_no_percent_is_unknown()
    {
        var reply = AgentReplyParser.Parse("75");

        Assert.Equal("75", reply.Error);
        Assert.Null(reply.WeightPercent);
    }
}
