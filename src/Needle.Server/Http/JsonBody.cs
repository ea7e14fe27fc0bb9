using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Needle.Server.Http;

/// <summary>
/// Reads JSON request bodies by hand rather than by parameter binding, so a malformed body gets a problem that says
/// where it is wrong (line, position, field) in the API's own words instead of a bare 400 or a .NET type name.
/// </summary>
internal static class JsonBody
{
    public static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type && (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ||
                                            type.Contains("+json", StringComparison.OrdinalIgnoreCase));

    public static bool IsMultipart(HttpRequest request) =>
        request.ContentType is { } type && type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    public static JsonSerializerOptions Options(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

    /// <summary>Reads the body as <typeparamref name="T"/>; throws <see cref="RequestProblemException"/> for a wrong type, a malformed or an empty body.</summary>
    public static async Task<T> ReadAsync<T>(HttpContext context, int maxBytes)
        where T : class
    {
        if (!IsJson(context.Request))
        {
            throw new RequestProblemException(StatusCodes.Status415UnsupportedMediaType, "Send the body as application/json.");
        }

        // Read whole first (bounded) so a slow or huge body cannot hold a deserializer.
        var bytes = await ReadBoundedAsync(context.Request.Body, maxBytes, "The JSON body", context.RequestAborted).ConfigureAwait(false);
        return Parse<T>(bytes, Options(context), "body");
    }

    public static T Parse<T>(ReadOnlyMemory<byte> bytes, JsonSerializerOptions options, string what)
        where T : class
    {
        CheckText(bytes.Span, what);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(bytes.Span, options);
        }
        catch (JsonException ex)
        {
            var field = JsonErrors.FieldName(ex.Path);
            var where = field is null ? string.Empty : $" at {field}";
            var line = ex.LineNumber is { } l ? $" (line {l + 1}, position {ex.BytePositionInLine + 1})" : string.Empty;
            throw RequestProblemException.Invalid($"The {what} is not valid JSON for this request{where}{line}.", [JsonErrors.Describe(ex, typeof(T), options)]);
        }

        return value ?? throw RequestProblemException.Invalid($"The {what} is empty (null).");
    }

    /// <summary>
    /// Refuses text the deserializer would choke on with an exception it does not wrap: bytes that are not UTF-8, and
    /// strings whose escapes make invalid UTF-16 (a lone surrogate such as <c>"\ud800"</c>). Both are the client's
    /// error (400), named with the field.
    /// </summary>
    private static void CheckText(ReadOnlySpan<byte> bytes, string what)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw RequestProblemException.Invalid($"The {what} is not valid UTF-8 text.", ["send JSON encoded as UTF-8"]);
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        string? property = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String))
                {
                    continue;
                }

                if (reader.ValueIsEscaped)
                {
                    try
                    {
                        _ = reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        var field = reader.TokenType == JsonTokenType.PropertyName ? "a field name" : property is null ? "a string" : $"the string in {Problems.Echo(property)}";
                        throw RequestProblemException.Invalid($"The {what} holds an invalid escape in {field}.",
                            [$"{(property is null ? "string" : Problems.Echo(property))}: an escape makes invalid text (a lone surrogate such as \\ud800)"]);
                    }
                }

                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    property = reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the deserializer says where, with its own message.
        }
    }

    /// <summary>Copies <paramref name="stream"/> to <paramref name="destination"/>; a body over <paramref name="maxBytes"/> is refused (413) as <see cref="ReadBoundedAsync"/> does.</summary>
    public static async Task<long> CopyBoundedAsync(Stream stream, Stream destination, long maxBytes, string what, CancellationToken cancellationToken)
    {
        var chunk = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (total + read > maxBytes)
            {
                throw RequestProblemException.TooLarge($"{what} is larger than {maxBytes} bytes.");
            }

            await destination.WriteAsync(chunk.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            total += read;
        }

        return total;
    }

    public static async Task<byte[]> ReadBoundedAsync(Stream stream, long maxBytes, string what, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw RequestProblemException.TooLarge($"{what} is larger than {maxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
