using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace L4Balancer.Admin;

/// <summary>Source-generated JSON for the admin API: snake_case, like the config keys and metric labels.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(AdminStatus))]
[JsonSerializable(typeof(BackendStatus))]
[JsonSerializable(typeof(TenantDetail))]
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(ReloadResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    /// <summary>
    /// What every admin answer is written with: the generated contract, and text escaped only where JSON
    /// requires it. The default encoder writes a quote inside a string as <c>\u0022</c> and a <c>+</c> as
    /// <c>\u002B</c>, which made error messages (they quote config values) unreadable with curl (issue 17);
    /// the answers are <c>application/json</c>, never inlined into HTML, where that escaping would matter.
    /// </summary>
    public static AdminJsonContext Answers { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    });
}
