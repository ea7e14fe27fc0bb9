using System.Text.Json;
using System.Text.Json.Serialization;

namespace Needle.Triage;

/// <summary>JSON settings for the small documents Triage writes (audit details).</summary>
internal static class TriageJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
