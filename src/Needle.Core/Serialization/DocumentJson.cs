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
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static string? SerializeOrNull<T>(T? value) where T : class =>
        value is null ? null : JsonSerializer.Serialize(value, Options);

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
