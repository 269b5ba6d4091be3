using System.Security.Cryptography;
using L4Balancer.Admin;
using L4Balancer.Core.Config;
using Microsoft.Extensions.Primitives;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>
/// How the bearer token is checked, with several tokens (issue 17): still constant-time. Timing itself is
/// too noisy to assert on a shared machine, so these assert what makes it constant: fixed-length hashes
/// compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, every configured token compared
/// whichever matched.
/// </summary>
public class AdminTokenCheckTests
{
    private static readonly AdminToken[] Tokens =
    [
        new("first-read-token", AdminScope.Read),
        new("second-operate-token", AdminScope.Operate),
        new("third-read-token", AdminScope.Read),
    ];

    private static (AdminTokenCheck Check, List<(int Left, int Right)> Compared) Counting(IReadOnlyList<AdminToken> tokens)
    {
        var compared = new List<(int, int)>();
        var check = new AdminTokenCheck(() => tokens, (left, right) =>
        {
            compared.Add((left.Length, right.Length));
            return AdminTokenCheck.DefaultComparer(left, right);
        });
        return (check, compared);
    }

    private static StringValues Bearer(string token) => new("Bearer " + token);

    [Fact]
    public void The_comparison_is_the_fixed_time_one()
    {
        Assert.Equal(CryptographicOperations.FixedTimeEquals, AdminTokenCheck.DefaultComparer);
    }

    [Theory]
    [InlineData("first-read-token", "read")]
    [InlineData("second-operate-token", "operate")]
    [InlineData("third-read-token", "read")]
    [InlineData("third-read-token-but-longer", null)]
    [InlineData("third-read-toke", null)]
    [InlineData("x", null)]
    [InlineData("", null)]
    public void Every_token_is_compared_as_a_32_byte_hash_whichever_matched(string presented, string? scope)
    {
        var (check, compared) = Counting(Tokens);

        Assert.Equal(scope, check.Authorize(Bearer(presented))?.ToString().ToLowerInvariant());

        // Three comparisons whether the first, the last or none matched, each of two SHA-256 hashes:
        // neither the time nor the lengths compared depend on the presented token or on which entry it is.
        Assert.Equal([(32, 32), (32, 32), (32, 32)], compared);
    }

    [Fact]
    public void A_new_token_list_takes_effect_on_the_next_request()
    {
        IReadOnlyList<AdminToken> tokens = [new AdminToken("old", AdminScope.Operate)];
        var check = new AdminTokenCheck(() => tokens);
        Assert.Equal(AdminScope.Operate, check.Authorize(Bearer("old")));

        tokens = [new AdminToken("new", AdminScope.Read)];

        Assert.Null(check.Authorize(Bearer("old")));
        Assert.Equal(AdminScope.Read, check.Authorize(Bearer("new")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic Zmlyc3QtcmVhZC10b2tlbg==")]
    [InlineData("first-read-token")]
    public void Anything_but_one_bearer_header_is_no_token(string? header)
    {
        var (check, compared) = Counting(Tokens);

        Assert.Null(check.Authorize(header is null ? StringValues.Empty : new StringValues(header)));
        Assert.Null(check.Authorize(new StringValues(["Bearer first-read-token", "Bearer first-read-token"])));
        Assert.Empty(compared);
    }
}
