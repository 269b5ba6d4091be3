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

    /// <summary>Issue 17: sets the backend's weight on the serving process.</summary>
    public Task SetWeightAsync(string tenant, string address, int weight) =>
        SendAsync(HttpMethod.Post, $"/api/tenants/{Uri.EscapeDataString(tenant)}/backends/{Uri.EscapeDataString(address)}/weight", $$"""{"weight": {{weight}}}""");

    /// <summary>Issue 17: <c>GET /api/tenants/{tenant}</c>, parsed.</summary>
    public async Task<System.Text.Json.JsonElement> TenantAsync(string tenant) =>
        System.Text.Json.JsonDocument.Parse(await SendAsync(HttpMethod.Get, $"/api/tenants/{Uri.EscapeDataString(tenant)}")).RootElement.Clone();

    private async Task<string> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request, Deadline.After());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    public void Dispose() => _http.Dispose();
}
