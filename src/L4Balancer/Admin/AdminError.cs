using System.Text.Json.Serialization;

namespace L4Balancer.Admin;

/// <summary>The body of every admin error answer but 401 (which has none).</summary>
/// <param name="Errors">Every problem, for a refused reload; left out (not <c>"errors":null</c>) where there is only <paramref name="Error"/>.</param>
internal sealed record AdminError(
    string Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Errors = null);
