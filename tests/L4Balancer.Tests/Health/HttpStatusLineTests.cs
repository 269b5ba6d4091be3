using L4Balancer.Core.Balancing;
using L4Balancer.Core.Config;
using L4Balancer.Core.Health;

namespace L4Balancer.Tests.Health;

/// <summary>How an HTTP check judges the status line it read.</summary>
public class HttpStatusLineTests
{
    [Theory]
    [InlineData("HTTP/1.1 200 OK", "L7OK", "HTTP 200 OK")]
    [InlineData("HTTP/1.0 302 Found", "L7OK", "HTTP 302 Found")]
    [InlineData("HTTP/1.1 204", "L7OK", "HTTP 204")]
    [InlineData("HTTP/1.1 500 Internal Server Error", "L7STS", "HTTP 500 Internal Server Error (expect_status 200-399)")]
    [InlineData("HTTP/1.1 404 Not Found", "L7STS", "HTTP 404 Not Found (expect_status 200-399)")]
    [InlineData("SSH-2.0-OpenSSH_9.6", "L7RSP", "not an HTTP response: \"SSH-2.0-OpenSSH_9.6\"")]
    [InlineData("HTTP/1.1 20 OK", "L7RSP", "not an HTTP response: \"HTTP/1.1 20 OK\"")]
    [InlineData("HTTP/2 200", "L7RSP", "not an HTTP response: \"HTTP/2 200\"")]
    [InlineData("\u0016\u0003\u0001", "L7RSP", "not an HTTP response: \"...\"")]
    public void Judges_the_status_against_expect_status(string line, string status, string detail)
    {
        Assert.Equal(new CheckResult(Enum.Parse<CheckStatus>(status), detail), HealthProbe.Judge(line, HttpStatusRanges.Default));
    }
}
