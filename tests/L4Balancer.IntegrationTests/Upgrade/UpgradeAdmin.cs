using System.Net;
using System.Net.Http.Headers;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>
/// The admin endpoint, one connection per request (<c>Connection: close</c>): a request made after a
/// hand-over is answered by the process that took over, never on a kept-alive connection to the old one.
/// </summary>
internal sealed class UpgradeAdmin : IDisposable
{
    private readonly HttpClient _http;

    public UpgradeAdmin(IPEndPoint endPoint, string token)
    {
        _http = new HttpClient { BaseAddress = new Uri($"http://{endPoint}"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        _http.DefaultRequestHeaders.ConnectionClose = true;
    }

    public async Task<UpgradeStatus> StatusAsync() => UpgradeStatus.Parse(await SendAsync(HttpMethod.Get, "/api/status"));

    public async Task<PrometheusText> MetricsAsync() => new(await SendAsync(HttpMethod.Get, "/metrics"));

    public Task DrainAsync(string tenant, string address) =>
        SendAsync(HttpMethod.Post, $"/api/tenants/{Uri.EscapeDataString(tenant)}/backends/{Uri.EscapeDataString(address)}/drain");

    private async Task<string> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await _http.SendAsync(request, Deadline.After());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public void Dispose() => _http.Dispose();
}
