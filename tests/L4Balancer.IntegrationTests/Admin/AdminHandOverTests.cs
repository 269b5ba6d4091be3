using System.Net;
using System.Net.Http;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Admin;

/// <summary>
/// After the admin endpoint is handed over (a binary upgrade), a client's kept-alive connection to the
/// old process must not change or report the exiting process: only /healthz is answered there.
/// </summary>
public sealed class AdminHandOverTests
{
    [Fact]
    public async Task A_kept_alive_connection_to_the_handed_over_process_gets_503_and_is_closed_except_for_healthz()
    {
        await using var backend = TestBackend.Echo();
        await using var admin = await AdminHarness.StartAsync(TestConfigs.PortRouted(backend));
        using (var warm = await admin.SendAsync(HttpMethod.Get, "/api/status"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // the pooled connection now exists
        }

        await admin.Admin.HandOverAsync();

        using (var drain = await admin.SendAsync(HttpMethod.Post, $"/api/tenants/{TestConfigs.TenantName}/backends/{Uri.EscapeDataString(backend.Address)}/drain"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, drain.StatusCode);
            Assert.Contains("handed the admin endpoint over", await drain.Content.ReadAsStringAsync());
            Assert.True(drain.Headers.ConnectionClose, "the connection is closed so that a retry reaches the successor");
        }

        Assert.False(admin.Balancer.Engine.Current.Tenants[TestConfigs.TenantName].Backends[0].IsDraining, "the exiting process was not changed");
    }
}
