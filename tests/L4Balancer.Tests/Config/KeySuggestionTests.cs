using L4Balancer.Core.Config;

namespace L4Balancer.Tests.Config;

public sealed class KeySuggestionTests
{
    private static readonly string[] Global =
    [
        "max_connections", "max_connections_per_ip", "max_pending_handshakes", "max_pending_handshakes_per_ip",
        "connect_timeout", "idle_timeout", "client_hello_timeout", "drain_timeout", "deny",
    ];

    [Theory]
    [InlineData("max_connection_per_ip", "max_connections_per_ip")] // a letter left out
    [InlineData("max_conections", "max_connections")]
    [InlineData("conenct_timeout", "connect_timeout")] // two letters swapped: one edit
    [InlineData("Idle_Timeout", "idle_timeout")] // case only
    [InlineData("max-connections", "max_connections")]
    [InlineData("dney", "deny")]
    [InlineData("den", "deny")] // 3 characters: the one edit every key is allowed
    public void A_close_key_is_suggested(string unknown, string expected) =>
        Assert.Equal(expected, KeySuggestion.Closest(unknown, Global));

    [Theory]
    [InlineData("timeout")] // 7 characters: 2 edits allowed, every *_timeout is further
    [InlineData("bandwidth")]
    [InlineData("dy")] // 2 characters, "deny" 2 edits away
    [InlineData("x")]
    public void A_distant_key_gets_no_suggestion(string unknown) =>
        Assert.Null(KeySuggestion.Closest(unknown, Global));

    [Fact]
    public void Only_the_keys_given_are_candidates()
    {
        // "interval" is valid in [tenant.health], not in [global]: suggestions come from the table's own keys.
        Assert.Null(KeySuggestion.Closest("intervall", Global));
        Assert.Equal("interval", KeySuggestion.Closest("intervall", ["interval", "timeout", "rise", "fall"]));
    }

    [Fact]
    public void A_very_long_key_is_not_compared_cell_by_cell()
    {
        Assert.Null(KeySuggestion.Closest(new string('m', 10_000_000), Global));
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("ca", "abc", 3)] // optimal string alignment, not unrestricted Damerau-Levenshtein (2)
    public void Distance_is_the_optimal_string_alignment(string a, string b, int expected) =>
        Assert.Equal(expected, KeySuggestion.Distance(a, b));
}
