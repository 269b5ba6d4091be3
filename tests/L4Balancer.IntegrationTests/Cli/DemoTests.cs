using System.Net.Http;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Cli;

public class DemoTests
{
    [Fact]
    public async Task Demo_serves_the_printed_requests_and_streams_the_post()
    {
        await using var process = BalancerProcess.Start("demo");
        var printed = await process.WaitForLineAsync(@"curl -s (http://\S+)/hello");
        var front = new Uri(printed.Groups[1].Value);
        using var http = new HttpClient { BaseAddress = front, Timeout = TimeSpan.FromSeconds(30) };

        var backends = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            // A fresh connection each time, so least connections spreads them over both backends.
            using var request = new HttpRequestMessage(HttpMethod.Get, "/hello") { Headers = { ConnectionClose = true } };
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.StartsWith("hello from backend ", body);
            backends.Add(response.Headers.GetValues("X-Backend").Single());
        }

        Assert.Equal(2, backends.Count);

        // The streamed answer arrives in pieces over time, not all at once at the end.
        using var post = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent("{}") };
        using var streamed = await http.SendAsync(post, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await streamed.Content.ReadAsStreamAsync();
        var reads = 0;
        var text = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        int n;
        while ((n = await stream.ReadAsync(buffer, Deadline.After())) > 0)
        {
            reads++;
            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, n));
        }

        Assert.Contains("L4Balancer", text.ToString());
        Assert.True(reads > 5, $"the stream arrived in only {reads} reads");

        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));
    }
}
