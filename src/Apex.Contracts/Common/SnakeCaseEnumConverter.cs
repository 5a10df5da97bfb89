using System.Text.Json;
using System.Text.Json.Serialization;

namespace Apex.Contracts.Common;

/// <summary>Serializes an enum as its snake_case name (<c>AwaitingApproval</c> → <c>"awaiting_approval"</c>).</summary>
/// <typeparam name="TEnum">The enum type.</typeparam>
public sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where TEnum : struct, Enum;
