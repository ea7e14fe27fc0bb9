using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Needle.Application.Intake;
using Needle.Core.Storage;

namespace Needle.Server.Http;

/// <summary>
/// Turns exceptions into problem details without internals: known request errors keep their message, anything else is
/// a bare 500 (the exception goes to the log, never to the client).
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    private const string StorageFullRetryAfterSeconds = "60";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail, errors) = exception switch
        {
            RequestProblemException p => (p.Status, p.Status == 413 ? "The request is too large." : "The request is invalid.", p.Message, p.Errors),
            ReportValidationException v => (400, "The report is invalid.", "The report failed validation.", v.Errors),
            BadHttpRequestException b => (b.StatusCode, b.StatusCode == 413 ? "The request is too large." : "The request is invalid.", Safe(b), null),
            JsonException => (400, "The request is invalid.", "The JSON body is malformed.", null),
            StorageFullException => (StatusCodes.Status507InsufficientStorage, "The server's storage is full.",
                "Nothing of this request was stored: the server's database has no room left. Try again later; what was accepted before is kept.", null),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request.", "The request was aborted.", null),
            _ => (500, "An error occurred while processing your request.", "See the server log.", (IReadOnlyList<string>?)null),
        };
        if (status == 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        if (exception is StorageFullException)
        {
            // Full until an operator frees space: a client retries later, not at once.
            LogStorageFull(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            httpContext.Response.Headers.RetryAfter = StorageFullRetryAfterSeconds;
        }

        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (errors is { Count: > 0 })
        {
            problem.Extensions["errors"] = errors;
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = null })
            .ConfigureAwait(false);
    }

    // Kestrel's messages ("Request body too large. The max request body size is N bytes.") carry no internals.
    private static string Safe(BadHttpRequestException exception) => exception.StatusCode == 413
        ? "The request body is larger than this server accepts."
        : exception.Message;

    [LoggerMessage(Level = LogLevel.Critical, Message = "The database is full: {Method} {Path} refused with 507 until space returns")]
    private static partial void LogStorageFull(ILogger logger, Exception exception, string method, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, PathString path);
}
