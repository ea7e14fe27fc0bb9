using System.Text.Json;

namespace Needle.Storage.Postgres;

/// <summary>JSON as stored in the database: camelCase, nulls left out, so the text matches what the API speaks.</summary>
internal static class StorageJson
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
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
