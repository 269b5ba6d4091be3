using System.Text.Json;

namespace L4Balancer.IntegrationTests.Upgrade;

/// <summary>The parts of <c>GET /api/status</c> the upgrade tests read, and the whole text for messages.</summary>
internal sealed record UpgradeStatus(
    int Pid,
    int? ParentPid,
    string? TookOverAt,
    long Generation,
    long UpgradesOk,
    long UpgradesError,
    IReadOnlyDictionary<string, (bool Draining, long Total)> Backends,
    string Text)
{
    public static UpgradeStatus Parse(string text)
    {
        var root = JsonDocument.Parse(text).RootElement;
        var upgrades = root.GetProperty("upgrades");
        return new UpgradeStatus(
            root.GetProperty("pid").GetInt32(),
            root.GetProperty("parent_pid") is { ValueKind: JsonValueKind.Number } parent ? parent.GetInt32() : null,
            root.GetProperty("took_over_at") is { ValueKind: JsonValueKind.String } at ? at.GetString() : null,
            root.GetProperty("config_generation").GetInt64(),
            upgrades.GetProperty("ok").GetInt64(),
            upgrades.GetProperty("error").GetInt64(),
            root.GetProperty("backends").EnumerateArray().ToDictionary(
                b => b.GetProperty("address").GetString()!,
                b => (b.GetProperty("draining").GetBoolean(), b.GetProperty("total").GetInt64())),
            text);
    }

    public override string ToString() => Text;
}
