using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Needle.Server.Http;

/// <summary>
/// Says what is wrong with a JSON body in the API's own words: the field (as the client wrote it) and what it must be
/// ("files: must be a list (JSON array)"), never a .NET type name.
/// </summary>
internal static class JsonErrors
{
    private const string Unconvertible = "The JSON value could not be converted to ";
    private const string MissingRequired = "missing required properties including:";

    /// <summary>"files[0].hashes" from the serializer's "$.files[0].hashes"; null for the whole document.</summary>
    public static string? FieldName(string? path)
    {
        if (path is null or "$")
        {
            return null;
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.StartsWith('$') ? path[1..] : path;
        return Problems.Echo(field, 120);
    }

    /// <summary>One line for the problem's <c>errors</c>: the field and what it must be, or the parser's own words when they hold no type name.</summary>
    public static string Describe(JsonException exception, Type root, JsonSerializerOptions options)
    {
        var field = FieldName(exception.Path) ?? "body";
        var message = FirstSentence(exception.Message);
        if (message.StartsWith(Unconvertible, StringComparison.Ordinal))
        {
            return Resolve(root, exception.Path, options) is { } type ? $"{field}: must be {Shape(type)}" : $"{field}: not a valid value here";
        }

        var missing = message.IndexOf(MissingRequired, StringComparison.Ordinal);
        if (missing >= 0)
        {
            return "missing required fields: " + message[(missing + MissingRequired.Length)..].Trim().TrimEnd('.');
        }

        // The reader's messages ("'x' is an invalid start of a value", "expected ','") name no types; anything that
        // might is replaced by a plain statement.
        return LooksInternal(message) ? $"{field}: not a valid value here" : $"{field}: {message}";
    }

    /// <summary>What a value of <paramref name="type"/> looks like in JSON.</summary>
    internal static string Shape(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type == typeof(char))
        {
            return "a string";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong))
        {
            return "a whole number";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "a number";
        }

        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
        {
            return "a date and time (ISO 8601, as \"2025-01-31T12:00:00Z\")";
        }

        if (type == typeof(DateOnly))
        {
            return "a date (YYYY-MM-DD)";
        }

        if (type == typeof(Guid))
        {
            return "an id (a UUID)";
        }

        if (type == typeof(byte[]))
        {
            return "base64 text";
        }

        if (type.IsEnum)
        {
            return "one of " + string.Join(", ", EnumNames(type));
        }

        if (type == typeof(JsonElement) || type == typeof(JsonNode) || type == typeof(object))
        {
            return "a JSON value";
        }

        if (typeof(System.Collections.IDictionary).IsAssignableFrom(type) || ImplementsGeneric(type, typeof(IReadOnlyDictionary<,>)) || ImplementsGeneric(type, typeof(IDictionary<,>)))
        {
            return "an object";
        }

        return typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? "a list (JSON array)" : "an object";
    }

    /// <summary>The type at <paramref name="path"/> ("$.files[0].hashes") under <paramref name="root"/>, through the serializer's own contract.</summary>
    private static Type? Resolve(Type root, string? path, JsonSerializerOptions options)
    {
        if (path is null)
        {
            return root;
        }

        var type = root;
        try
        {
            foreach (var segment in Segments(path))
            {
                type = Nullable.GetUnderlyingType(type) ?? type;
                var info = options.GetTypeInfo(type);
                if (segment.Index)
                {
                    if (info.Kind != JsonTypeInfoKind.Enumerable || info.ElementType is null)
                    {
                        return null;
                    }

                    type = info.ElementType;
                    continue;
                }

                switch (info.Kind)
                {
                    case JsonTypeInfoKind.Dictionary when info.ElementType is not null:
                        type = info.ElementType;
                        break;
                    case JsonTypeInfoKind.Object:
                        var comparison = options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                        var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, segment.Name, comparison));
                        if (property is null)
                        {
                            return null;
                        }

                        type = property.PropertyType;
                        break;
                    default:
                        return null;
                }
            }
        }
        catch (NotSupportedException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return type;
    }

    /// <summary>The steps of a JSON path as System.Text.Json writes it: <c>$.a.b[0]['odd name']</c>.</summary>
    private static List<(string Name, bool Index)> Segments(string path)
    {
        var segments = new List<(string, bool)>();
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = i + 1;
                while (end < path.Length && path[end] is not ('.' or '['))
                {
                    end++;
                }

                segments.Add((path[(i + 1)..end], false));
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    break;
                }

                segments.Add((path[(i + 2)..end], false));
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                if (end < 0)
                {
                    break;
                }

                segments.Add((path[(i + 1)..end], true));
                i = end + 1;
            }
            else
            {
                break;
            }
        }

        return segments;
    }

    private static IEnumerable<string> EnumNames(Type type) => type.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f =>
        f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.KebabCaseLower.ConvertName(f.Name));

    private static bool ImplementsGeneric(Type type, Type generic) =>
        (type.IsGenericType && type.GetGenericTypeDefinition() == generic) ||
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);

    /// <summary>A .NET type or namespace in a message: "System.", "Needle.", a generic arity mark.</summary>
    private static bool LooksInternal(string message) =>
        message.Contains("System.", StringComparison.Ordinal) || message.Contains("Needle.", StringComparison.Ordinal) ||
        message.Contains('`', StringComparison.Ordinal) || message.Contains("Microsoft.", StringComparison.Ordinal);

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var text = cut > 0 ? message[..cut] : message;
        var line = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        text = line > 0 ? text[..line] : text;
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString().Trim();
    }
}
