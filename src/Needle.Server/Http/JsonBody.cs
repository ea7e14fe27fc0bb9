using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Needle.Server.Http;

/// <summary>
/// Reads JSON request bodies by hand rather than by parameter binding, so a malformed body gets a problem that says
/// where it is wrong (line, position, path) instead of a bare 400.
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
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(bytes.Span, options);
        }
        catch (JsonException ex)
        {
            // JsonException's message names the path and position; it never carries a stack trace or type internals
            // beyond the expected shape.
            var where = ex.Path is null ? string.Empty : $" at {ex.Path}";
            var line = ex.LineNumber is { } l ? $" (line {l + 1}, position {ex.BytePositionInLine + 1})" : string.Empty;
            throw RequestProblemException.Invalid($"The {what} is not valid JSON for this request{where}{line}.", [FirstSentence(ex.Message)]);
        }

        return value ?? throw RequestProblemException.Invalid($"The {what} is empty (null).");
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

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
