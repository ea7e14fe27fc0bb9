using Microsoft.AspNetCore.Mvc;

namespace Needle.Server.Http;

/// <summary>RFC 7807 problem responses with Needle's shapes: a title, a detail and, for validation, an "errors" list.</summary>
internal static class Problems
{
    public static IResult BadRequest(string detail, IReadOnlyList<string>? errors = null) =>
        Problem(StatusCodes.Status400BadRequest, "The request is invalid.", detail, errors);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found.", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "Conflict.", detail);

    public static IResult TooLarge(string detail) => Problem(StatusCodes.Status413PayloadTooLarge, "The request is too large.", detail);

    public static IResult UnsupportedMediaType(string detail) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported content type.", detail);

    /// <summary>
    /// A value from the request as it may be quoted back in a message: at most <paramref name="max"/> characters (longer
    /// ones cut, with their length said), control characters shown as '?'.
    /// </summary>
    public static string Echo(string? value, int max = 64)
    {
        if (value is null)
        {
            return string.Empty;
        }

        var cut = value.Length > max ? value[..max] : value;
        var clean = string.Create(cut.Length, cut, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                span[i] = char.IsControl(text[i]) || char.IsSurrogate(text[i]) ? '?' : text[i];
            }
        });
        return value.Length > max ? $"{clean}... ({value.Length} characters)" : clean;
    }

    public static IResult Problem(int status, string title, string detail, IReadOnlyList<string>? errors = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (errors is { Count: > 0 })
        {
            problem.Extensions["errors"] = errors;
        }

        return TypedResults.Problem(problem);
    }
}

/// <summary>Thrown while reading a request to answer with a problem (400, 413, 415) instead of going on.</summary>
internal sealed class RequestProblemException(int status, string detail, IReadOnlyList<string>? errors = null) : Exception(detail)
{
    public int Status { get; } = status;

    public IReadOnlyList<string>? Errors { get; } = errors;

    public IResult ToResult() => Status switch
    {
        StatusCodes.Status413PayloadTooLarge => Problems.TooLarge(Message),
        StatusCodes.Status415UnsupportedMediaType => Problems.UnsupportedMediaType(Message),
        _ => Problems.BadRequest(Message, Errors),
    };

    public static RequestProblemException TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, detail);

    public static RequestProblemException Invalid(string detail, IReadOnlyList<string>? errors = null) => new(StatusCodes.Status400BadRequest, detail, errors);
}
