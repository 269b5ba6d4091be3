using System.Text.Json.Serialization;

namespace L4Balancer.Core.Handover;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HandoverMessage))]
internal sealed partial class HandoverJsonContext : JsonSerializerContext;
