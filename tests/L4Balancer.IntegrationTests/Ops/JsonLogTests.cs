using System.Net.Sockets;
using System.Text.Json;
using L4Balancer.IntegrationTests.Infrastructure;

namespace L4Balancer.IntegrationTests.Ops;

/// <summary>SPEC "Logs": <c>--log-format json</c> on the real executable, and the access log's fields as structured properties.</summary>
public class JsonLogTests
{
    [Fact]
    public async Task The_access_log_record_is_one_json_object_with_every_field_as_a_property()
    {
        await using var backend = TestBackend.Echo();
        var path = await OpsConfigs.WriteAsync(OpsConfigs.PortRouted(backend.EndPoint));
        await using var process = BalancerProcess.Start("run", "--config", path, "--log-format", "json");
        var listening = await process.WaitForLineAsync(@"listener main accepting on (\d+\.\d+\.\d+\.\d+:\d+)");
        var endPoint = System.Net.IPEndPoint.Parse(listening.Groups[1].Value);

        string clientAddress;
        using (var client = await SocketExtensions.ConnectToAsync(endPoint))
        {
            clientAddress = client.LocalEndPoint!.ToString()!;
            await client.SendTextAsync("hello\n", Deadline.After());
            Assert.Equal("hello", await client.ReadLineAsync(Deadline.After()));
            client.Shutdown(SocketShutdown.Send);
            await client.WaitForCloseAsync(Deadline.After());
        }

        await process.WaitForLineAsync("\"Category\":\"L4Balancer.Access\"");
        process.Signal(BalancerProcess.SIGTERM);
        Assert.Equal(0, await process.WaitForExitAsync(Deadline.After()));

        // Every line on stdout is a JSON object, the access record included.
        var lines = process.Output.Where(l => l.Length > 0).ToArray();
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));

        // Issue 17: State holds the values, not the message template again, and text is escaped only
        // where JSON requires it (no \u0022 for a quote, no \u002B for a plus).
        Assert.All(lines, l => Assert.DoesNotContain("{OriginalFormat}", l));
        Assert.All(lines, l => Assert.DoesNotContain("\\u00", l));

        var record = JsonDocument.Parse(process.Output.Single(l => l.Contains("\"L4Balancer.Access\""))).RootElement;
        Assert.Equal(1000, record.GetProperty("EventId").GetInt32());
        Assert.Equal("Information", record.GetProperty("LogLevel").GetString());
        var state = record.GetProperty("State");
        Assert.Equal(JsonValueKind.Number, state.GetProperty("ConnectionId").ValueKind);
        Assert.Equal("main", state.GetProperty("Listener").GetString());
        Assert.Equal("t1", state.GetProperty("Tenant").GetString());
        Assert.Equal(clientAddress, state.GetProperty("Client").GetString());
        Assert.Equal("-", state.GetProperty("Sni").GetString());
        Assert.Equal(backend.Address, state.GetProperty("Backend").GetString());
        Assert.Equal(6, state.GetProperty("BytesClientToBackend").GetInt64());
        Assert.Equal(6, state.GetProperty("BytesBackendToClient").GetInt64());
        Assert.True(state.GetProperty("DurationMs").GetDouble() > 0);
        Assert.Equal("closed", state.GetProperty("End").GetString());
        // Issue 16: the backend answered, so both stream figures are known, as numbers (an echo: one read, no gap).
        Assert.True(state.GetProperty("TtfbMs").GetDouble() >= 0);
        Assert.Equal(0, state.GetProperty("MaxGapMs").GetDouble());
        Assert.Contains("end=closed", record.GetProperty("Message").GetString());
        File.Delete(path);
    }
}
