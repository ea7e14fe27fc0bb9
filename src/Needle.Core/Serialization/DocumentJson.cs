using System.Text.Json;
using System.Text.Json.Serialization;

namespace Needle.Core.Serialization;

/// <summary>
/// JSON for the documents Needle stores (submissions, clues, jurisdictions, audit details): camelCase, nulls left out,
/// so the text matches what the API speaks. One definition for every backend, so a document written by one store
/// reads back the same from another.
/// </summary>
public static class DocumentJson
{
    /// <summary>The options: web defaults (camelCase, case-insensitive reading), nulls left out on writing; read-only.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>The JSON of <paramref name="value"/>; null for null.</summary>
    public static string? SerializeOrNull<T>(T? value) where T : class =>
        value is null ? null : JsonSerializer.Serialize(value, Options);

    /// <summary>The value read from <paramref name="json"/>; null for null.</summary>
    /// <exception cref="JsonException"><paramref name="json"/> is not valid JSON for <typeparamref name="T"/>.</exception>
    public static T? DeserializeOrNull<T>(string? json) where T : class =>
        json is null ? null : JsonSerializer.Deserialize<T>(json, Options);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
