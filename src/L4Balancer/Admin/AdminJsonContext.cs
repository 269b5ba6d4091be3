using System.Text.Json.Serialization;

namespace L4Balancer.Admin;

/// <summary>Source-generated JSON for the admin API: snake_case, like the config keys and metric labels.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(AdminStatus))]
[JsonSerializable(typeof(BackendStatus))]
[JsonSerializable(typeof(TenantDetail))]
[JsonSerializable(typeof(AdminError))]
[JsonSerializable(typeof(ReloadResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
